from django.urls import path

from labelling.api import LabelView, NextPhotoView

urlpatterns = [
    path("labels/", LabelView.as_view(), name="labels"),
    path("labels/next/", NextPhotoView.as_view(), name="labels_next"),
]
