"""Shared helpers of the diagnosis tests: checks and their photos as rows (for tests that need
the data and not the pipeline; those that need real stored photos and a real analysis use
tests/diagnosis/web.py), synthetic selfies, the API upload and the stored files."""

import io

import factory
import numpy as np
from django.core.files.storage import storages
from factory.django import DjangoModelFactory
from rest_framework.test import APIClient

from diagnosis.ml.synth import render_selfie
from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory

DIAGNOSES = "/api/v1/diagnoses/"


class DiagnosisFactory(DjangoModelFactory):
    """A done check graded 3 (moderate) on its front photo, which it has."""

    class Meta:
        model = Diagnosis
        skip_postgeneration_save = True  # the photo row refers to the check; nothing to re-save

    user = factory.SubFactory(UserFactory)
    status = Diagnosis.Status.DONE
    grade = 3
    label = "moderate"
    combined_from = "front"
    front = factory.RelatedFactory(
        "tests.diagnosis.factories.PhotoFactory", factory_related_name="diagnosis"
    )


class PhotoFactory(DjangoModelFactory):
    """A photo row; its file names point nowhere (no file is written)."""

    class Meta:
        model = DiagnosisPhoto

    diagnosis = factory.SubFactory(DiagnosisFactory, front=None)
    slot = "front"
    selfie = factory.LazyAttribute(lambda p: f"diagnoses/{p.diagnosis.pk}/{p.slot}/selfie.jpg")
    selfie_width = 512
    selfie_height = 512
    status = DiagnosisPhoto.Status.DONE
    grade = 3
    label = "moderate"


def stored_names(path: str = "diagnoses") -> list[str]:
    """Every file in the private storage under ``path``."""
    storage = storages["private"]
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:
        return []
    return [f"{path}/{f}" for f in files] + [
        name for folder in folders for name in stored_names(f"{path}/{folder}")
    ]


def selfie_bytes(
    grade: int = 3, *, seed: int = 7, size: int = 512, fmt: str = "JPEG", **save
) -> bytes:
    """A synthetic selfie with acne of ``grade``, encoded as ``fmt``."""
    sample = render_selfie(np.random.default_rng(seed), grade, size=size)
    out = io.BytesIO()
    sample.image.save(out, format=fmt, **save)
    return out.getvalue()


def api_post_selfie(client: APIClient, upload, *, consent="true", **extra):
    """``POST /api/v1/diagnoses/`` as multipart with one photo in the legacy ``image`` field
    (``consent=None`` leaves the field out)."""
    data = {"consent": consent} if consent is not None else {}
    if upload is not None:
        data["image"] = upload
    return client.post(DIAGNOSES, data, format="multipart", **extra)
