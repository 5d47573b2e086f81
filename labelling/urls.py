from django.urls import path

from labelling import views

app_name = "labelling"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("photos/<int:photo_id>/", views.label, name="label"),
    path("photos/<int:photo_id>/photo.jpg", views.photo_file, name="photo"),
]
