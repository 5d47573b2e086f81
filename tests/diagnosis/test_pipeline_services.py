"""The pipeline's steps as the worker runs them, in process (the real worker: test_worker.py)."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone
from PIL import Image

from diagnosis import services
from diagnosis.models import Diagnosis
from diagnosis.uploads import clean_selfie
from skinshop.celery import app as celery_app
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import stored_names
from tests.diagnosis.web import files_of, front

pytestmark = pytest.mark.django_db


def _create(upload, **owner):
    owner = owner or {"guest_token": "guest-1"}
    with mock.patch.object(services, "enqueue", return_value=True):
        return services.create_diagnosis(selfie=clean_selfie(upload), **owner)


def test_a_selfie_goes_from_queued_to_done_with_grade_and_heatmap(selfie_upload, analyzer):
    diagnosis = _create(selfie_upload(grade=4), user=UserFactory())
    assert diagnosis.status == Diagnosis.Status.QUEUED

    services.run_analysis(diagnosis.pk, analyzer=analyzer)

    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.DONE
    assert diagnosis.grade in range(6) and diagnosis.label
    assert len(diagnosis.probabilities) == 6
    assert abs(sum(diagnosis.probabilities) - 1) < 1e-3
    assert diagnosis.model_name and diagnosis.model_version
    assert diagnosis.attempts == 1 and diagnosis.finished_at >= diagnosis.started_at
    photo = front(diagnosis)
    assert photo.status == "done" and photo.grade == diagnosis.grade
    assert diagnosis.combined_from == "front"
    with photo.heatmap.open("rb") as handle, Image.open(handle) as layer:
        # A transparent layer of the selfie's own size, to stack over it on the page.
        assert layer.mode == "RGBA"
        assert layer.size == (photo.selfie_width, photo.selfie_height)


def test_a_photo_without_a_face_ends_failed_with_its_reason(analyzer):
    blank = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(blank, format="JPEG")
    diagnosis = _create(SimpleUploadedFile("wall.jpg", blank.getvalue(), "image/jpeg"))

    services.run_analysis(diagnosis.pk, analyzer=analyzer)

    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.FAILED
    assert diagnosis.failure_code == "no_face"
    assert "No face" in diagnosis.failure_reason
    assert diagnosis.grade is None and not front(diagnosis).heatmap
    assert front(diagnosis).failure_code == "no_face"


def test_a_crash_puts_the_diagnosis_back_in_the_queue_then_gives_up(selfie_upload, settings):
    settings.DIAGNOSIS_MAX_ATTEMPTS = 2
    diagnosis = _create(selfie_upload())
    broken = mock.Mock()
    broken.analyze_photos.side_effect = MemoryError("boom")

    with pytest.raises(MemoryError):
        services.run_analysis(diagnosis.pk, analyzer=broken)
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.QUEUED and diagnosis.attempts == 1

    with pytest.raises(MemoryError):
        services.run_analysis(diagnosis.pk, analyzer=broken)
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.FAILED and diagnosis.failure_code == "crashed"


def test_a_redelivered_task_takes_over_a_diagnosis_left_processing(selfie_upload, analyzer):
    diagnosis = _create(selfie_upload())
    services.claim(diagnosis.pk)  # the attempt whose worker was killed: its lease lapses
    Diagnosis.objects.filter(pk=diagnosis.pk).update(lease_until=timezone.now())

    services.run_analysis(diagnosis.pk, analyzer=analyzer)

    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.DONE and diagnosis.attempts == 2


def test_a_finished_diagnosis_is_not_analysed_again(selfie_upload):
    diagnosis = _create(selfie_upload())
    Diagnosis.objects.filter(pk=diagnosis.pk).update(status=Diagnosis.Status.DONE)
    engine = mock.Mock()

    assert services.run_analysis(diagnosis.pk, analyzer=engine) is None
    engine.analyze_photos.assert_not_called()


def test_sweep_resends_stale_queued_and_times_out_stuck_processing(selfie_upload, settings):
    lost = _create(selfie_upload(seed=1))  # its message never reached the broker
    fresh = _create(selfie_upload(seed=2))
    stuck = _create(selfie_upload(seed=3))
    services.claim(stuck.pk)
    later = timezone.now() + timedelta(seconds=settings.DIAGNOSIS_PROCESSING_DEADLINE + 1)
    Diagnosis.objects.filter(pk=fresh.pk).update(enqueued_at=later)

    with mock.patch.object(services, "enqueue", return_value=True) as send:
        report = services.sweep(now=later)

    send.assert_called_once_with(lost.pk)
    assert report.resent == 1 and report.timed_out == 1
    stuck.refresh_from_db()
    assert stuck.status == Diagnosis.Status.FAILED and stuck.failure_code == "timeout"


def test_enqueue_with_the_broker_down_keeps_the_diagnosis_queued(selfie_upload):
    diagnosis = _create(selfie_upload())
    with mock.patch.object(celery_app, "send_task", side_effect=OSError("refused")):
        assert services.enqueue(diagnosis.pk) is False

    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.QUEUED and diagnosis.enqueued_at is None


def test_in_eager_mode_enqueue_runs_the_analysis_in_this_process(selfie_upload, analyzer):
    # CELERY_TASK_ALWAYS_EAGER (debugging): the task sent by name still runs at once.
    diagnosis = _create(selfie_upload(grade=3))
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with (
            mock.patch("diagnosis.versions.model_in_use", return_value=(None, analyzer)),
            mock.patch.object(celery_app, "send_task") as send_task,
        ):
            assert services.enqueue(diagnosis.pk)
    finally:
        celery_app.conf.task_always_eager = eager

    send_task.assert_not_called()
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.DONE and diagnosis.grade is not None


def test_deleting_a_diagnosis_removes_its_files(
    selfie_upload, analyzer, django_capture_on_commit_callbacks
):
    diagnosis = _create(selfie_upload())
    services.run_analysis(diagnosis.pk, analyzer=analyzer)
    diagnosis.refresh_from_db()
    storage = front(diagnosis).selfie.storage
    names = files_of(diagnosis)
    assert len(names) == 3
    assert all(storage.exists(n) for n in names)

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_diagnoses([diagnosis])

    assert not Diagnosis.objects.filter(pk=diagnosis.pk).exists()
    assert not any(storage.exists(n) for n in names)


def test_a_diagnosis_whose_row_cannot_be_saved_leaves_no_file_behind(selfie_upload):
    # The selfie and its thumbnail are written before the row, so they must go again.
    with mock.patch.object(Diagnosis, "save", side_effect=DatabaseError("disk full")):
        with pytest.raises(DatabaseError):
            _create(selfie_upload())

    assert stored_names() == []


def test_requeue_gives_a_failed_diagnosis_a_fresh_start(
    selfie_upload, analyzer, django_capture_on_commit_callbacks
):
    failed = _create(selfie_upload(seed=4))
    done = _create(selfie_upload(seed=5))
    Diagnosis.objects.filter(pk=failed.pk).update(
        status=Diagnosis.Status.FAILED, attempts=3, failure_code="crashed", failure_reason="x"
    )
    Diagnosis.objects.filter(pk=done.pk).update(status=Diagnosis.Status.DONE)

    with mock.patch.object(services, "enqueue", return_value=True) as send:
        with django_capture_on_commit_callbacks(execute=True):
            count = services.requeue_failed(Diagnosis.objects.all())

    assert count == 1
    send.assert_called_once_with(failed.pk)
    failed.refresh_from_db()
    assert failed.status == Diagnosis.Status.QUEUED
    assert failed.attempts == 0 and not failed.failure_code and not failed.failure_reason
    services.run_analysis(failed.pk, analyzer=analyzer)
    failed.refresh_from_db()
    assert failed.status == Diagnosis.Status.DONE
