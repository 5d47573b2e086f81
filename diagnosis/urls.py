from django.urls import path

from diagnosis import views

app_name = "diagnosis"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("history/", views.history, name="history"),
    path("history/delete/", views.delete_all, name="delete_all"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/status/", views.status_json, name="status"),
    path("<uuid:pk>/selfie.jpg", views.selfie, name="selfie"),
    path("<uuid:pk>/thumb.jpg", views.thumbnail, name="thumbnail"),
    path("<uuid:pk>/heatmap.png", views.heatmap, name="heatmap"),
    path("<uuid:pk>/delete/", views.delete, name="delete"),
]
