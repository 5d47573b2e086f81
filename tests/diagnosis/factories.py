"""Shared helpers of the diagnosis tests: synthetic selfies, the API upload, stored files."""

import io

import numpy as np
from django.core.files.storage import storages
from rest_framework.test import APIClient

from diagnosis.ml.synth import render_selfie

DIAGNOSES = "/api/v1/diagnoses/"


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
    """``POST /api/v1/diagnoses/`` as multipart (``consent=None`` leaves the field out)."""
    data = {"consent": consent} if consent is not None else {}
    if upload is not None:
        data["image"] = upload
    return client.post(DIAGNOSES, data, format="multipart", **extra)
