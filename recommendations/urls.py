from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("", views.routine_index, name="routine_index"),
    path("<int:grade>/", views.routine_detail, name="routine_detail"),
    path("kit/", views.kit_add, name="kit_add"),
]
