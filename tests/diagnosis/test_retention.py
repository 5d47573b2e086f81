"""Selfies are not kept forever: anonymous diagnoses go once their session has expired, and a
diagnosis' files go with its row however the row goes."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from diagnosis import services, tasks
from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory
from tests.diagnosis.web import files_of, make_diagnosis

pytestmark = pytest.mark.django_db


def stored(names: list[str]) -> list[str]:
    storage = DiagnosisPhoto._meta.get_field("selfie").storage
    return [name for name in names if storage.exists(name)]


def aged(diagnosis: Diagnosis, days: int) -> Diagnosis:
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return diagnosis


@pytest.fixture
def analysed(selfie_upload, analyzer, settings):
    settings.DIAGNOSIS_EXPLAIN_K = 2

    def make(**owner):
        return make_diagnosis(selfie_upload(), analyzer=analyzer, **owner)

    return make


def test_anonymous_diagnoses_are_purged_with_their_files_once_past_guest_retention(
    analysed, settings, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_GUEST_RETENTION_DAYS = 14
    expired = aged(analysed(guest_token="gone-session"), days=15)
    recent = aged(analysed(guest_token="live-session"), days=3)
    account = aged(analysed(user=UserFactory()), days=400)
    names = files_of(expired)
    assert len(names) == 3 and stored(names) == names

    with django_capture_on_commit_callbacks(execute=True):
        report = services.purge_expired()

    assert (report.guests, report.expired) == (1, 0)
    assert set(Diagnosis.objects.values_list("pk", flat=True)) == {recent.pk, account.pk}
    assert stored(names) == []
    assert stored(files_of(recent)) == files_of(recent)


def test_a_retention_for_every_diagnosis_purges_accounts_ones_too(
    analysed, settings, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_RETENTION_DAYS = 365
    old = aged(analysed(user=UserFactory()), days=400)
    kept = aged(analysed(user=UserFactory()), days=30)

    with django_capture_on_commit_callbacks(execute=True):
        report = services.purge_expired()

    assert report.expired == 1
    assert list(Diagnosis.objects.values_list("pk", flat=True)) == [kept.pk]
    assert stored(files_of(old)) == []


def test_deleting_an_account_removes_its_selfie_thumbnail_and_heatmap_files(
    analysed, django_capture_on_commit_callbacks
):
    user = UserFactory()
    diagnosis = analysed(user=user)
    names = files_of(diagnosis)
    assert len(names) == 3

    with django_capture_on_commit_callbacks(execute=True):
        user.delete()

    assert not Diagnosis.objects.exists()
    assert stored(names) == []


def test_a_rolled_back_deletion_keeps_the_files(analysed, django_capture_on_commit_callbacks):
    from django.db import transaction

    diagnosis = analysed(user=UserFactory())
    names = files_of(diagnosis)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            diagnosis.delete()
            raise RuntimeError("rolled back")

    assert stored(names) == names


def test_beat_runs_the_purge_task(analysed, settings):
    settings.DIAGNOSIS_GUEST_RETENTION_DAYS = 1
    aged(analysed(guest_token="gone-session"), days=2)

    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert "diagnosis.tasks.purge_diagnoses" in {entry["task"] for entry in schedule.values()}
    assert tasks.purge_diagnoses() == {"guests": 1, "expired": 0}
    assert not Diagnosis.objects.exists()
