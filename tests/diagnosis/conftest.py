"""Selfies for diagnosis tests: synthetic faces from the engine's generator, no real photo."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from diagnosis import services
from tests.diagnosis.factories import selfie_bytes


@pytest.fixture
def selfie_upload():
    """A fresh synthetic selfie as a browser would upload it."""

    def make(grade: int = 3, *, seed: int = 7, name: str = "selfie.jpg", **kwargs):
        return SimpleUploadedFile(name, selfie_bytes(grade, seed=seed, **kwargs), "image/jpeg")

    return make


@pytest.fixture(scope="session")
def analyzer():
    """The default shipped model, loaded once for the session (as a worker process does)."""
    from diagnosis.ml.inference import Analyzer

    return Analyzer.load()


@pytest.fixture
def sent():
    """``services.enqueue`` replaced: what would have gone to the broker."""
    with mock.patch.object(services, "enqueue", return_value=True) as enqueue:
        yield enqueue


@pytest.fixture
def fast_heatmaps(settings):
    """Two augmented copies per heatmap instead of ten: the tests check the pipeline's plumbing,
    not the heatmap's quality."""
    settings.DIAGNOSIS_EXPLAIN_K = 2
