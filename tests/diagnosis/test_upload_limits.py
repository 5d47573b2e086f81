"""What an upload may cost: each photo counts against the hourly limits, a client that keeps no
cookie cannot start a new guest session for every upload, the server's own refusals cost the
shopper nothing, and a check too large for the stated limit is refused before it is read."""

import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from rest_framework.test import APIClient

from diagnosis import uploads
from diagnosis.forms import SelfieUploadForm
from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DIAGNOSES, api_post_selfie, selfie_bytes
from tests.diagnosis.web import UPLOAD_URL, post_photos, post_selfie

pytestmark = pytest.mark.django_db

SLOTS = ("front", "left", "right")


def photo(seed: int = 7) -> SimpleUploadedFile:
    return SimpleUploadedFile("selfie.jpg", selfie_bytes(seed=seed), "image/jpeg")


def api_post(client, slots, *, consent: str = "true", **extra):
    data = {slot: photo(seed=i) for i, slot in enumerate(slots)}
    return client.post(DIAGNOSES, {**data, "consent": consent}, format="multipart", **extra)


# --- each photo is a unit of work ---------------------------------------------------------------


def test_a_check_of_three_photos_costs_three_on_the_api(settings, sent):
    settings.DIAGNOSIS_RATE_PER_USER = 4
    client = APIClient()
    client.force_authenticate(UserFactory())

    assert api_post(client, SLOTS).status_code == 201
    refused = api_post(client, ("front", "left"))
    assert api_post(client, ("front",)).status_code == 201

    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert "you can send 1 more this hour" in refused.json()["message"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert api_post(client, ("front",)).json()["message"].startswith("You have sent 4 photos")
    assert Diagnosis.objects.count() == 2


def test_a_check_of_three_photos_costs_three_on_the_page(client, settings, sent):
    settings.DIAGNOSIS_RATE_PER_USER = 3
    three = {slot: photo(seed=i) for i, slot in enumerate(SLOTS)}

    assert post_photos(client, three).status_code == 302
    response = post_selfie(client, photo())

    assert response.status_code == 429
    assert "You have sent 3 photos this hour" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Diagnosis.objects.count() == 1


def test_the_per_address_limit_counts_photos_too(settings, sent):
    settings.DIAGNOSIS_RATE_PER_ADDRESS = 4
    first, second = APIClient(), APIClient()
    first.force_authenticate(UserFactory())
    second.force_authenticate(UserFactory())

    assert api_post(first, SLOTS).status_code == 201
    assert api_post(second, ("front", "left")).status_code == 429
    assert api_post(second, ("front",), REMOTE_ADDR="10.0.0.2").status_code == 201


def test_a_request_refused_before_reading_a_photo_is_not_counted(settings, sent):
    settings.DIAGNOSIS_RATE_PER_USER = 1
    client = APIClient()
    client.force_authenticate(UserFactory())

    with mock.patch.object(uploads, "clean_selfie", wraps=uploads.clean_selfie) as read:
        assert api_post(client, SLOTS, consent="false").json()["code"] == "consent_required"
        assert api_post_selfie(client, None).json()["code"] == "required"
        read.assert_not_called()  # consent and fields come before any photo is read
        assert api_post(client, ("front",)).status_code == 201


def test_a_bad_file_is_counted_it_was_read(settings, sent):
    settings.DIAGNOSIS_RATE_PER_USER = 1
    client = APIClient()
    client.force_authenticate(UserFactory())
    not_a_photo = SimpleUploadedFile("selfie.jpg", b"hello" * 100, "image/jpeg")

    assert api_post_selfie(client, not_a_photo).json()["code"] == "not_an_image"
    assert api_post_selfie(client, photo()).status_code == 429


def test_the_page_does_not_read_the_photos_without_consent(client, settings, sent):
    settings.DIAGNOSIS_RATE_PER_USER = 1
    with mock.patch.object(uploads, "clean_selfie", wraps=uploads.clean_selfie) as read:
        response = post_selfie(client, photo(), consent=False)

    assert response.status_code == 200
    assert "agree to the processing of your photos" in response.content.decode()
    read.assert_not_called()
    assert post_selfie(client, photo()).status_code == 302  # nothing was counted


# --- new guest sessions per address -------------------------------------------------------------


def test_a_client_that_keeps_no_cookie_cannot_start_a_guest_session_per_upload(settings, sent):
    settings.DIAGNOSIS_NEW_GUESTS_PER_ADDRESS = 2
    browser = APIClient()  # keeps its session cookie

    assert api_post(browser, ("front",)).status_code == 201
    assert api_post(APIClient(), ("front",)).status_code == 201
    refused = api_post(APIClient(), ("front",))

    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert "new visitors" in refused.json()["message"]
    # A guest who keeps the session, and a signed-in shopper, are not new guests.
    assert api_post(browser, ("front",)).status_code == 201
    shopper = APIClient()
    shopper.force_authenticate(UserFactory())
    assert api_post(shopper, ("front",)).status_code == 201
    # Another address starts its own guests.
    assert api_post(APIClient(), ("front",), REMOTE_ADDR="10.0.0.9").status_code == 201


def test_a_refused_new_guest_gets_no_session_to_come_back_with(settings, sent):
    settings.DIAGNOSIS_NEW_GUESTS_PER_ADDRESS = 1
    assert api_post(APIClient(), ("front",)).status_code == 201
    refused_browser = APIClient()

    assert api_post(refused_browser, ("front",)).status_code == 429
    assert api_post(refused_browser, ("front",)).status_code == 429


# --- the server's own refusal costs nothing -----------------------------------------------------


def test_a_check_refused_as_busy_on_the_page_is_not_counted(client, settings, sent):
    settings.DIAGNOSIS_MAX_CONCURRENT_DECODES = 1
    settings.DIAGNOSIS_DECODE_WAIT_SECONDS = 0
    settings.DIAGNOSIS_RATE_PER_USER = 3
    three = {slot: photo(seed=i) for i, slot in enumerate(SLOTS)}
    slots = uploads._decode_slots.semaphore()
    assert slots.acquire(blocking=False)
    try:
        busy = post_photos(client, three)
    finally:
        slots.release()

    assert busy.status_code == 503 and int(busy["Retry-After"]) > 0
    assert "again in a minute" in busy.content.decode()
    again = {slot: photo(seed=i) for i, slot in enumerate(SLOTS)}
    assert post_photos(client, again).status_code == 302


# --- one size limit for a check -----------------------------------------------------------------


def test_the_page_and_the_api_state_the_same_limits_as_the_settings(settings):
    settings.DIAGNOSIS_MAX_UPLOAD_BYTES = 15 * 1024 * 1024
    settings.DIAGNOSIS_MAX_CHECK_BYTES = 40 * 1024 * 1024
    stated = "up to 15 MB a photo and 40 MB for the whole check"

    assert stated in SelfieUploadForm().accepted
    assert stated in uploads.size_limits()
    assert settings.MAX_REQUEST_BYTES == settings.DIAGNOSIS_MAX_CHECK_BYTES


def test_the_readmes_proxy_lets_a_whole_check_through_to_the_shops_own_answer():
    from django.conf import settings as configured

    readme = (Path(configured.BASE_DIR) / "README.md").read_text()
    proxy_limit = int(re.search(r"client_max_body_size (\d+)m;", readme)[1]) * 1024 * 1024
    check = configured.DIAGNOSIS_MAX_CHECK_BYTES  # the default: no test overrides it here

    assert check < proxy_limit <= check + 2 * 1024 * 1024
    assert f"`DIAGNOSIS_MAX_CHECK_BYTES` ({check // (1024 * 1024)} MiB" in readme


def test_a_check_larger_than_the_limit_is_refused_before_it_is_read(settings, sent):
    settings.MAX_REQUEST_BYTES = 200_000
    client = APIClient()
    big = SimpleUploadedFile("selfie.jpg", b"\xff" * 250_000, "image/jpeg")

    with mock.patch("django.http.multipartparser.MultiPartParser.parse") as parse:
        response = client.post(DIAGNOSES, {"front": big, "consent": "true"}, format="multipart")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "too large" in response.json()["message"]
    parse.assert_not_called()
    assert not Diagnosis.objects.exists()


def test_the_page_answers_a_check_too_large_with_413_before_reading_it(client, settings, sent):
    settings.MAX_REQUEST_BYTES = 200_000
    big = SimpleUploadedFile("selfie.jpg", b"\xff" * 250_000, "image/jpeg")

    with mock.patch("django.http.multipartparser.MultiPartParser.parse") as parse:
        response = client.post(UPLOAD_URL, {"front": big, "consent": "on"})

    assert response.status_code == 413
    assert "too large" in response.content.decode()
    parse.assert_not_called()


@pytest.fixture
def kept():
    """Bytes of each uploaded file that Django's own handlers (memory, temporary file) got."""
    got = []
    patches = []
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        real = handler.receive_data_chunk

        def spy(self, raw_data, start, real=real):
            got.append(len(raw_data))
            return real(self, raw_data, start)

        patches.append(mock.patch.object(handler, "receive_data_chunk", spy))
    with patches[0], patches[1]:
        yield got


def test_a_photo_over_its_limit_is_not_kept_past_the_limit_by_the_api(settings, sent, kept):
    settings.DIAGNOSIS_MAX_UPLOAD_BYTES = 100_000
    big = SimpleUploadedFile("selfie.jpg", b"\xff" * 400_000, "image/jpeg")

    response = APIClient().post(DIAGNOSES, {"front": big, "consent": "true"}, format="multipart")

    assert response.status_code == 400 and response.json()["code"] == "too_large"
    assert 0 < sum(kept) <= 100_000


def test_a_photo_over_its_limit_is_not_kept_past_the_limit_by_the_page(
    client, settings, sent, kept
):
    settings.DIAGNOSIS_MAX_UPLOAD_BYTES = 100_000
    big = SimpleUploadedFile("selfie.jpg", b"\xff" * 400_000, "image/jpeg")

    response = post_selfie(client, big)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-front"' in html and "The file is too large" in html
    assert 0 < sum(kept) <= 100_000


def test_the_upload_page_still_needs_its_csrf_token(sent):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(UPLOAD_URL, {"front": photo(), "consent": "on"})

    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


def test_a_check_within_the_limit_is_read(settings, sent):
    client = APIClient()

    assert api_post(client, SLOTS).status_code == 201
