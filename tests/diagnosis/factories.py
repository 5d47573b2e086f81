"""Shared helpers of the diagnosis tests: checks and their photos as rows (for tests that need
the data and not the pipeline; those that need real stored photos and a real analysis use
tests/diagnosis/web.py), synthetic selfies, the API upload and the stored files."""

import io
from datetime import timedelta

import factory
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image
from rest_framework.test import APIClient

from diagnosis.ml.zones import LABELS
from diagnosis.models import Diagnosis, DiagnosisPhoto
from modelbuilding.synth import render_selfie
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


GEA = {
    "name": "GEA",
    "labels": ["clear", "almost clear", "mild", "moderate", "severe", "very severe"],
}


def zone_list(slot: str = "front", **severities: float) -> list[dict]:
    """A check's zones as the engine stores them, most affected first: ``zone_list(chin=2)``."""
    zones = [
        {"zone": name, "label": LABELS[name], "severity": value, "slot": slot}
        for name, value in severities.items()
    ]
    return sorted(zones, key=lambda zone: -zone["severity"])


def _heatmap_png(seed: int, size: int) -> bytes:
    """A transparent layer with one warm blob, as the engine's heatmaps look."""
    rng = np.random.default_rng(seed)
    cy, cx = rng.uniform(0.35, 0.65, size=2) * size
    yy, xx = np.mgrid[0:size, 0:size]
    heat = np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (size / 8) ** 2)))
    layer = np.zeros((size, size, 4), np.uint8)
    layer[..., 0] = 255
    layer[..., 1] = (120 * (1 - heat)).astype(np.uint8)
    layer[..., 3] = (200 * heat * (heat > 0.2)).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(layer, "RGBA").save(out, format="PNG")
    return out.getvalue()


def finished_check(
    *,
    user=None,
    guest_token: str = "",
    days_ago: float = 0,
    score: float = 3.0,
    zones: list[dict] | None = None,
    slots=("front",),
    status: str = Diagnosis.Status.DONE,
    files: bool = False,
    seed: int = 1,
    size: int = 256,
) -> Diagnosis:
    """A check as the worker leaves it ``days_ago`` days back: graded ``round(score)`` on the
    GEA scale, with ``zones`` and a graded photo per slot. ``files``: each photo has a real
    selfie and heatmap in the private storage (for pages that show them)."""
    done = status == Diagnosis.Status.DONE
    grade = min(max(int(score + 0.5), 0), 5)
    diagnosis = DiagnosisFactory(
        user=user,
        guest_token=guest_token,
        status=status,
        grade=grade if done else None,
        label=GEA["labels"][grade] if done else "",
        score=score if done else None,
        scale=GEA if done else {},
        zones=zones or [] if done else [],
        combined_from=slots[0] if done else "",
        front=None,
    )
    for index, slot in enumerate(slots):
        photo = PhotoFactory.build(
            diagnosis=diagnosis,
            slot=slot,
            selfie_width=size,
            selfie_height=size,
            status=DiagnosisPhoto.Status.DONE if done else DiagnosisPhoto.Status.PENDING,
            grade=grade if done else None,
            label=GEA["labels"][grade] if done else "",
            zones=[z for z in zones or [] if z.get("slot", slot) == slot] if done else [],
        )
        if files:
            photo.selfie.save(
                "selfie.jpg", ContentFile(selfie_bytes(3, seed=seed + index, size=size)), save=False
            )
            if done:
                png = _heatmap_png(seed + index, size)
                photo.heatmap.save("heatmap.png", ContentFile(png), save=False)
        photo.save()
    when = timezone.now() - timedelta(days=days_ago)
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        created_at=when, finished_at=when + timedelta(seconds=20) if done else None
    )
    diagnosis.refresh_from_db()
    return diagnosis
