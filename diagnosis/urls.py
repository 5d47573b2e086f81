from django.urls import path, register_converter

from diagnosis import views
from diagnosis.models import DiagnosisPhoto


class SlotConverter:
    """front, left or right: any other word is not an address of this app."""

    regex = "|".join(DiagnosisPhoto.Slot.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SlotConverter, "slot")

app_name = "diagnosis"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("history/", views.history, name="history"),
    path("history/delete/", views.delete_all, name="delete_all"),
    path("compare/", views.compare, name="compare"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/status/", views.status_json, name="status"),
    path("<uuid:pk>/selfie.jpg", views.selfie, name="selfie"),
    path("<uuid:pk>/thumb.jpg", views.thumbnail, name="thumbnail"),
    path("<uuid:pk>/heatmap.png", views.heatmap, name="heatmap"),
    # Each photo of a check; the three above answer with the first photo (the front one when
    # there is one), as they did when a check had a single photo.
    path("<uuid:pk>/<slot:slot>/selfie.jpg", views.selfie, name="photo_selfie"),
    path("<uuid:pk>/<slot:slot>/thumb.jpg", views.thumbnail, name="photo_thumbnail"),
    path("<uuid:pk>/<slot:slot>/heatmap.png", views.heatmap, name="photo_heatmap"),
    path("<uuid:pk>/delete/", views.delete, name="delete"),
    path(
        "<uuid:pk>/training-consent/withdraw/",
        views.withdraw_training,
        name="withdraw_training",
    ),
    path(
        "history/training-consent/withdraw/",
        views.withdraw_training_all,
        name="withdraw_training_all",
    ),
]
