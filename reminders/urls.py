from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("", views.index, name="index"),
    path("schedule/", views.schedule, name="schedule"),
    path("cancel/", views.cancel, name="cancel"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
