"""Checks and their photos as rows, for tests that need the data and not the pipeline (those
that need real stored photos and a real analysis use tests/diagnosis/web.py)."""

import factory
from factory.django import DjangoModelFactory

from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory


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
