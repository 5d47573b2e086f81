"""Consent to learn: off unless given, on the web form and the API alike, for accounts and
guests; withdrawn from the check's page, the history or the API; ended by deleting the check
or the account, and by its own retention. Nothing without it is ever queued for labelling or
exported."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis
from diagnosis.selectors import learnable_photos
from labelling import selectors as labelling
from labelling.export import export_training_set
from labelling.models import Label
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DIAGNOSES, selfie_bytes
from tests.diagnosis.web import post_selfie
from tests.labelling.factories import dermatologist, label, learnable_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_counted_uploads():
    cache.clear()


def upload(grade=3):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("selfie.jpg", selfie_bytes(grade, size=256), "image/jpeg")


def post_with_training_consent(client):
    data = {"front": upload(), "consent": "on", "training_consent": "on"}
    return client.post(reverse("diagnosis:upload"), data)


def exported(tmp_path) -> set[int]:
    out = tmp_path / f"export{len(list(tmp_path.iterdir()))}"
    export_training_set(out)
    manifest = (out / "manifest.csv").read_text().splitlines()[1:]
    return {int(line.split(",")[0].split("/shop")[1][:7]) for line in manifest}


def settled(photo):
    label(photo, dermatologist(), 3)
    label(photo, dermatologist(), 3)
    return photo


# --- Given -----------------------------------------------------------------------------------
def test_the_upload_form_asks_in_plain_words_and_leaves_it_off(client, sent, settings):
    settings.DIAGNOSIS_TRAINING_RETENTION_DAYS = 365
    page = client.get(reverse("diagnosis:upload")).content.decode()
    assert (
        'name="training_consent"' in page
        and "checked" not in page.split("training_consent")[1][:80]
    )
    assert "Only the shop&#x27;s dermatologists see them, without your name" in page or (
        "Only the shop's dermatologists see them, without your name" in page
    )
    assert "up to 365 days" in page

    post_selfie(client, upload())
    assert Diagnosis.objects.get().training_consent is False


def test_the_upload_form_records_consent_to_learn_when_ticked(client, sent):
    user = UserFactory()
    client.force_login(user)
    post_with_training_consent(client)
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.training_consent and diagnosis.training_consent_at is not None


def test_a_guest_can_give_it_on_the_form_too(client, sent):
    post_with_training_consent(client)
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.user is None and diagnosis.training_consent


@pytest.mark.parametrize(("sent_value", "kept"), [(None, False), ("false", False), ("true", True)])
def test_the_api_takes_training_consent_default_off(sent_value, kept, sent):
    data = {"consent": "true", "front": upload()}
    if sent_value is not None:
        data["training_consent"] = sent_value
    response = APIClient().post(DIAGNOSES, data, format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["training_consent"] is kept
    assert Diagnosis.objects.get().training_consent is kept
    assert isinstance(response.json()["views"][0]["id"], int)  # what a label names


def test_consent_to_learn_is_no_consent_to_analyse(sent):
    data = {"training_consent": "true", "front": upload()}
    response = APIClient().post(DIAGNOSES, data, format="multipart")
    assert response.status_code == 400 and not Diagnosis.objects.exists()


# --- Withdrawn -------------------------------------------------------------------------------
def test_an_account_withdraws_from_the_checks_page_and_labels_go(client, tmp_path):
    photo = settled(learnable_photo())
    client.force_login(photo.diagnosis.user)
    page = client.get(reverse("diagnosis:detail", args=[photo.diagnosis.pk])).content.decode()
    assert 'data-testid="withdraw-training"' in page
    assert exported(tmp_path) == {photo.pk}

    client.post(reverse("diagnosis:withdraw_training", args=[photo.diagnosis.pk]))

    photo.diagnosis.refresh_from_db()
    assert not photo.diagnosis.training_consent
    assert not Label.objects.exists()
    assert not learnable_photos().exists() and exported(tmp_path) == set()
    assert labelling.next_photo(dermatologist()) is None


def test_a_guest_withdraws_from_the_checks_page(client, sent):
    post_with_training_consent(client)
    diagnosis = Diagnosis.objects.get()

    page = client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()
    client.post(reverse("diagnosis:withdraw_training", args=[diagnosis.pk]))

    assert 'data-testid="withdraw-training"' in page
    diagnosis.refresh_from_db()
    assert not diagnosis.training_consent


def test_no_one_else_can_withdraw_or_see_the_control(client):
    photo = learnable_photo()
    client.force_login(UserFactory())
    response = client.post(reverse("diagnosis:withdraw_training", args=[photo.diagnosis.pk]))
    assert response.status_code == 404
    photo.diagnosis.refresh_from_db()
    assert photo.diagnosis.training_consent


def test_the_history_withdraws_every_check_at_once(client):
    user = UserFactory()
    first, second = learnable_photo(user=user), learnable_photo(user=user)
    other = learnable_photo()
    client.force_login(user)
    assert (
        'data-testid="withdraw-training-all"'
        in client.get(reverse("diagnosis:history")).content.decode()
    )

    client.post(reverse("diagnosis:withdraw_training_all"))

    assert set(learnable_photos()) == {other}
    assert {first.diagnosis.pk, second.diagnosis.pk} <= set(
        Diagnosis.objects.values_list("pk", flat=True)
    )


def test_the_api_withdraws_it(tmp_path):
    photo = settled(learnable_photo())
    api = APIClient()
    api.force_authenticate(photo.diagnosis.user)

    response = api.post(f"{DIAGNOSES}{photo.diagnosis.pk}/training-consent/withdraw/")

    assert response.status_code == 200 and response.json()["training_consent"] is False
    assert exported(tmp_path) == set() and not Label.objects.exists()


# --- Deleted ---------------------------------------------------------------------------------
def test_deleting_the_check_takes_its_photos_out_of_training(client, tmp_path):
    photo = settled(learnable_photo())
    client.force_login(photo.diagnosis.user)

    client.post(reverse("diagnosis:delete", args=[photo.diagnosis.pk]))

    assert not Label.objects.exists() and exported(tmp_path) == set()


def test_deleting_the_account_takes_its_photos_out_of_training(tmp_path):
    photo = settled(learnable_photo())
    kept = settled(learnable_photo())

    photo.diagnosis.user.delete()

    assert exported(tmp_path) == {kept.pk}
    assert set(Label.objects.values_list("photo_id", flat=True)) == {kept.pk}


# --- Retention -------------------------------------------------------------------------------
def aged(photo, days: int, *, consent_days: int | None = None):
    then = timezone.now() - timedelta(days=days)
    Diagnosis.objects.filter(pk=photo.diagnosis_id).update(
        created_at=then,
        training_consent_at=timezone.now() - timedelta(days=consent_days or days),
    )
    return photo


def test_a_consented_guest_check_outlives_guest_retention_until_its_own(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_GUEST_RETENTION_DAYS = 14
    settings.DIAGNOSIS_TRAINING_RETENTION_DAYS = 100
    kept = settled(aged(learnable_photo(guest_token="gone"), days=30))
    unconsented = aged(learnable_photo(guest_token="gone-too", consent=False), days=30)

    with django_capture_on_commit_callbacks(execute=True):
        report = services.purge_expired()

    assert report.guests == 1
    assert set(Diagnosis.objects.values_list("pk", flat=True)) == {kept.diagnosis_id}
    assert unconsented.diagnosis_id != kept.diagnosis_id
    assert exported(tmp_path) == {kept.pk}


def test_past_its_own_retention_consent_lapses_and_a_check_kept_only_for_it_goes(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_GUEST_RETENTION_DAYS = 14
    settings.DIAGNOSIS_TRAINING_RETENTION_DAYS = 100
    guest = aged(settled(learnable_photo(guest_token="gone")), days=101)
    account = aged(settled(learnable_photo()), days=101)
    # Before the purge runs, the lapsed photos are out already.
    assert exported(tmp_path) == set() and labelling.next_photo(dermatologist()) is None

    with django_capture_on_commit_callbacks(execute=True):
        report = services.purge_expired()

    assert report.consent_lapsed == 2
    assert list(Diagnosis.objects.values_list("pk", flat=True)) == [account.diagnosis_id]
    assert not Diagnosis.objects.get().training_consent and not Label.objects.exists()
    assert not Diagnosis.objects.filter(pk=guest.diagnosis_id).exists()


def test_withdrawing_deletes_a_check_kept_only_for_training(settings, client):
    settings.DIAGNOSIS_RETENTION_DAYS = 30
    photo = aged(learnable_photo(), days=60, consent_days=10)
    client.force_login(photo.diagnosis.user)

    response = client.post(reverse("diagnosis:withdraw_training", args=[photo.diagnosis.pk]))

    assert response.url == reverse("diagnosis:history")
    assert not Diagnosis.objects.exists()
