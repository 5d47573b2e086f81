"""Helpers of the web-page tests: diagnoses made the way the shop makes them."""

import hashlib
from unittest import mock

from django.urls import reverse

from diagnosis import services
from diagnosis.models import Diagnosis, DiagnosisPhoto
from diagnosis.uploads import clean_selfie

UPLOAD_URL = reverse("diagnosis:upload")

# The engine is deterministic (seeded), so one photo's analysis is computed once per session
# and replayed: run_analysis still saves a real result and a real heatmap each time.
_analyses: dict[tuple, object] = {}


class _Replaying:
    def __init__(self, analyzer) -> None:
        self.analyzer = analyzer

    def analyze_photos(self, views, **options):
        key = (
            tuple((slot, hashlib.sha256(data).hexdigest()) for slot, data in views),
            tuple(sorted(options.items())),
        )
        if key not in _analyses:
            _analyses[key] = self.analyzer.analyze_photos(views, **options)
        return _analyses[key]


def make_diagnosis(upload, *, analyzer=None, user=None, guest_token: str = "") -> Diagnosis:
    """A check of one front photo owned by ``user`` or ``guest_token``; analysed when given an
    analyzer."""
    return make_check({"front": upload}, analyzer=analyzer, user=user, guest_token=guest_token)


def make_check(
    uploads: dict,
    *,
    analyzer=None,
    user=None,
    guest_token: str = "",
    training_consent: bool = False,
) -> Diagnosis:
    """A check of the given photos (slot -> upload) owned by ``user`` or ``guest_token``;
    analysed (done or failed) when given an analyzer."""
    with mock.patch.object(services, "enqueue", return_value=True):
        diagnosis = services.create_diagnosis(
            photos={slot: clean_selfie(upload) for slot, upload in uploads.items()},
            user=user,
            guest_token=guest_token,
            training_consent=training_consent,
        )
    if analyzer is not None:
        services.run_analysis(diagnosis.pk, analyzer=_Replaying(analyzer))
        diagnosis.refresh_from_db()
    return diagnosis


def front(diagnosis: Diagnosis) -> DiagnosisPhoto:
    """The front photo of a check (the one photo of a single-photo check)."""
    return diagnosis.photos.get(slot="front")


def files_of(diagnosis: Diagnosis) -> list[str]:
    """The storage names of every file of every photo of a check."""
    return [name for photo in diagnosis.photos.all() for name in photo.files]


def page_urls(diagnosis: Diagnosis) -> dict[str, str]:
    """Every address that shows or serves one diagnosis (the first photo's files)."""
    return {
        name: reverse(f"diagnosis:{name}", args=[diagnosis.pk])
        for name in ("detail", "status", "selfie", "thumbnail", "heatmap")
    }


def photo_urls(diagnosis: Diagnosis) -> dict[str, str]:
    """The address of every file of every photo of a check, e.g. ``left/heatmap``."""
    return {
        f"{photo.slot}/{kind}": reverse(f"diagnosis:photo_{kind}", args=[diagnosis.pk, photo.slot])
        for photo in diagnosis.photos.all()
        for kind in ("selfie", "thumbnail", "heatmap")
    }


def post_selfie(client, upload, *, consent: bool = True, **extra):
    """The upload page's form with one front photo."""
    return post_photos(client, {"front": upload}, consent=consent, **extra)


def post_photos(client, uploads: dict, *, consent: bool = True, **extra):
    data = dict(uploads)
    if consent:
        data["consent"] = "on"
    return client.post(UPLOAD_URL, data, **extra)
