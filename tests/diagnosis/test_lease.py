"""A claimed check's lease: renewed while its worker runs, honoured by a duplicate message and by
the sweep, which queues again the check of a worker that died (a real worker killed on the
embedded broker: test_worker_killed.py)."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.utils import timezone

from diagnosis import services, tasks
from diagnosis.models import Diagnosis
from tests.diagnosis.factories import DiagnosisFactory

pytestmark = pytest.mark.django_db

Status = Diagnosis.Status


def _queued(**fields) -> Diagnosis:
    return DiagnosisFactory(status=Status.QUEUED, grade=None, label="", **fields)


def _lapse(diagnosis: Diagnosis) -> None:
    """What a dead worker leaves: its lease is no longer renewed."""
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )


def test_a_claim_holds_a_lease_that_a_duplicate_message_must_wait_for(settings):
    settings.DIAGNOSIS_LEASE_SECONDS = 30
    diagnosis = _queued()

    claimed = services.claim(diagnosis.pk)

    assert claimed.status == Status.PROCESSING and claimed.attempts == 1
    assert claimed.lease_until == claimed.started_at + timedelta(seconds=30)
    with pytest.raises(services.CheckLeased) as held:
        services.claim(diagnosis.pk)  # a second message while the worker is alive
    assert 25 < held.value.retry_in <= 30
    diagnosis.refresh_from_db()
    assert diagnosis.attempts == 1 and diagnosis.status == Status.PROCESSING


def test_a_lapsed_lease_is_taken_over_counting_another_attempt():
    diagnosis = _queued()
    services.claim(diagnosis.pk)
    _lapse(diagnosis)

    assert services.claim(diagnosis.pk).attempts == 2


def test_the_sweep_queues_again_and_resends_a_check_whose_lease_lapsed(sent):
    dead = _queued()
    alive = _queued()
    services.claim(dead.pk)
    services.claim(alive.pk)
    _lapse(dead)
    sent.reset_mock()

    report = services.sweep()

    assert report.requeued == 1 and report.given_up == 0 and report.timed_out == 0
    sent.assert_called_once_with(dead.pk)
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Status.QUEUED and dead.attempts == 1 and dead.lease_until is None
    assert alive.status == Status.PROCESSING
    # The message the sweep sent starts the next attempt.
    assert services.claim(dead.pk).attempts == 2


def test_the_sweep_gives_up_on_a_lapsed_lease_after_the_last_attempt(sent, settings):
    settings.DIAGNOSIS_MAX_ATTEMPTS = 2
    diagnosis = _queued(attempts=1)
    services.claim(diagnosis.pk)
    _lapse(diagnosis)

    report = services.sweep()

    assert report.given_up == 1 and report.requeued == 0
    sent.assert_not_called()
    diagnosis.refresh_from_db()
    assert diagnosis.status == Status.FAILED and diagnosis.failure_code == "crashed"
    assert diagnosis.failure_reason == services.CRASH_REASON


def test_a_dead_worker_is_noticed_within_a_couple_of_minutes_on_every_broker():
    # The lease lapses, then the next sweep queues the check again; nothing else brings a
    # check back on the filesystem broker, whose message went with its worker.
    assert django_settings.DIAGNOSIS_LEASE_SECONDS + django_settings.DIAGNOSIS_SWEEP_EVERY <= 120
    sweep = django_settings.CELERY_BEAT_SCHEDULE["diagnosis-sweep"]
    assert sweep["schedule"] == django_settings.DIAGNOSIS_SWEEP_EVERY


def test_a_task_that_finds_the_check_leased_retries_when_the_lease_may_have_lapsed():
    with (
        mock.patch.object(services, "run_analysis", side_effect=services.CheckLeased(12.0)),
        mock.patch("diagnosis.versions.model_in_use", return_value=(None, mock.Mock())),
        mock.patch.object(tasks.analyze_diagnosis, "retry", side_effect=Retry) as retry,
        pytest.raises(Retry),
    ):
        tasks.analyze_diagnosis.run("some-id")

    assert retry.call_args.kwargs["countdown"] == 13.0


@pytest.mark.django_db(transaction=True)
def test_the_worker_renews_its_lease_while_the_analysis_runs(settings):
    settings.DIAGNOSIS_LEASE_SECONDS = 1  # renewed every third of a second
    diagnosis = _queued()
    seen = []

    def slow_analysis(views, **kwargs):
        for _ in range(4):
            seen.append(Diagnosis.objects.get(pk=diagnosis.pk).lease_until)
            time.sleep(0.5)
        raise RuntimeError("the analysis broke after a while")

    engine = mock.Mock()
    engine.analyze_photos.side_effect = slow_analysis
    with (
        mock.patch("django.db.models.fields.files.FieldFile.open", mock.mock_open(read_data=b"x")),
        pytest.raises(RuntimeError),
    ):
        services.run_analysis(diagnosis.pk, analyzer=engine)

    assert seen == sorted(seen) and len(set(seen)) >= 3, seen
    assert seen[-1] > timezone.now() - timedelta(seconds=1)  # still alive at the last look
    assert not [t for t in threading.enumerate() if t.name.startswith("lease-")]
    diagnosis.refresh_from_db()
    assert diagnosis.status == Status.QUEUED and diagnosis.lease_until is None
