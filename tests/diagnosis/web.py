"""Helpers of the web-page tests: diagnoses made the way the shop makes them."""

import hashlib
from unittest import mock

from django.urls import reverse

from diagnosis import services
from diagnosis.models import Diagnosis
from diagnosis.uploads import clean_selfie

UPLOAD_URL = reverse("diagnosis:upload")

# The engine is deterministic (seeded), so one photo's analysis is computed once per session
# and replayed: run_analysis still saves a real result and a real heatmap each time.
_analyses: dict[tuple, object] = {}


class _Replaying:
    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer

    def analyze(self, data: bytes, **options):
        key = (hashlib.sha256(data).hexdigest(), tuple(sorted(options.items())))
        if key not in _analyses:
            _analyses[key] = self.analyzer.analyze(data, **options)
        return _analyses[key]


def make_diagnosis(upload, *, analyzer=None, user=None, guest_token: str = "") -> Diagnosis:
    """A diagnosis owned by ``user`` or ``guest_token``; analysed (done) when given an analyzer."""
    with mock.patch.object(services, "enqueue", return_value=True):
        diagnosis = services.create_diagnosis(
            selfie=clean_selfie(upload), user=user, guest_token=guest_token
        )
    if analyzer is not None:
        services.run_analysis(diagnosis.pk, analyzer=_Replaying(analyzer))
        diagnosis.refresh_from_db()
    return diagnosis


def page_urls(diagnosis: Diagnosis) -> dict[str, str]:
    """Every address that shows or serves one diagnosis."""
    return {
        name: reverse(f"diagnosis:{name}", args=[diagnosis.pk])
        for name in ("detail", "status", "selfie", "thumbnail", "heatmap")
    }


def post_selfie(client, upload, *, consent: bool = True, **extra):
    data = {"image": upload}
    if consent:
        data["consent"] = "on"
    return client.post(UPLOAD_URL, data, **extra)
