"""The diagnosis pipeline through a real Celery worker process on Redis (no eager mode).

The worker (tests/support/worker.py) runs the prefork pool against the test database; the
test process uploads through the API (or the services), as the web side does, and watches the
result.
"""

import io
import os
import signal
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis
from diagnosis.uploads import clean_selfie
from skinshop.celery import app as celery_app
from tests.accounts.factories import UserFactory
from tests.diagnosis.web import front
from tests.support.worker import blocked_opening_a_pipe, sending_to

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

Status = Diagnosis.Status
DIAGNOSES = "/api/v1/diagnoses/"
# A broker nobody listens on: the connection is refused.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def _post_selfie(client: APIClient, upload):
    return client.post(DIAGNOSES, {"image": upload, "consent": "true"}, format="multipart")


def _upload(upload, **owner) -> Diagnosis:
    return services.create_diagnosis(
        selfie=clean_selfie(upload), **(owner or {"guest_token": "guest-worker"})
    )


def _wait_for(worker, diagnosis: Diagnosis, *statuses: str, timeout: float = 90) -> Diagnosis:
    def reached():
        diagnosis.refresh_from_db()
        return diagnosis.status in statuses

    worker.wait_until(reached, timeout=timeout, what=f"{diagnosis} to be {' or '.join(statuses)}")
    return diagnosis


def test_an_uploaded_selfie_reaches_done_with_a_grade_and_a_heatmap(celery_worker, selfie_upload):
    client = APIClient()
    client.force_login(UserFactory())

    response = _post_selfie(client, selfie_upload(grade=4))

    assert response.status_code == 201, response.content
    assert response.json()["status"] == Status.QUEUED
    url = response["Location"]

    def finished():  # as the result page polls
        body = client.get(url).json()
        return body if body["status"] in (Status.DONE, Status.FAILED) else None

    body = celery_worker.wait_until(finished, timeout=90, what="the diagnosis to finish")
    assert body["status"] == Status.DONE, body["failure_reason"]
    assert body["grade"] in range(6) and body["label"]
    assert abs(sum(body["probabilities"]) - 1) < 1e-3
    assert body["model"]["name"] and body["timings"]["total"] > 0
    diagnosis = Diagnosis.objects.get(pk=body["id"])
    assert diagnosis.enqueued_at is not None and diagnosis.attempts == 1
    # The heatmap the worker wrote, served to its owner by the web side.
    heatmap = client.get(body["heatmap_url"])
    assert heatmap.status_code == 200
    with Image.open(io.BytesIO(b"".join(heatmap.streaming_content))) as layer:
        assert layer.mode == "RGBA"
        assert layer.size == (body["selfie_width"], body["selfie_height"])


def test_a_check_of_three_photos_is_graded_by_the_worker_and_lists_them(
    celery_worker, selfie_upload
):
    client = APIClient()
    client.force_login(UserFactory())
    photos = {"front": selfie_upload(seed=7), "left": selfie_upload(seed=1)}
    wall = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(wall, format="JPEG")
    photos["right"] = SimpleUploadedFile("wall.jpg", wall.getvalue(), "image/jpeg")

    response = client.post(DIAGNOSES, {**photos, "consent": "true"}, format="multipart")

    assert response.status_code == 201, response.content

    def finished():
        body = client.get(response["Location"]).json()
        return body if body["status"] in (Status.DONE, Status.FAILED) else None

    body = celery_worker.wait_until(finished, timeout=90, what="the check to finish")
    assert body["status"] == Status.DONE, body["failure_reason"]
    views = {view["slot"]: view for view in body["views"]}
    assert views["front"]["status"] == views["left"]["status"] == "done"
    assert views["right"]["status"] == "failed" and views["right"]["failure_code"] == "no_face"
    assert body["combined_from"] in ("front", "left")
    assert body["grade"] == views[body["combined_from"]]["grade"]
    assert client.get(views["left"]["heatmap_url"]).status_code == 200


def test_a_photo_without_a_face_ends_failed_with_its_reason(celery_worker):
    wall = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(wall, format="JPEG")
    diagnosis = _upload(SimpleUploadedFile("wall.jpg", wall.getvalue(), "image/jpeg"))

    _wait_for(celery_worker, diagnosis, Status.DONE, Status.FAILED)

    assert diagnosis.status == Status.FAILED
    assert diagnosis.failure_code == "no_face"
    assert "No face" in diagnosis.failure_reason
    assert diagnosis.grade is None and not front(diagnosis).heatmap


def test_a_worker_killed_during_a_task_still_brings_the_diagnosis_to_done(
    celery_worker, selfie_upload
):
    with mock.patch.object(services, "enqueue"):  # sent below, once the trap is set
        diagnosis = _upload(selfie_upload(grade=2))
    # The stored selfie becomes a named pipe: the pool process that opens it blocks until it is
    # killed, so the kill lands inside the task every time, without slowing the real code.
    selfie = front(diagnosis).selfie.path
    original = f"{selfie}.original"
    os.replace(selfie, original)
    os.mkfifo(selfie)
    [doomed] = celery_worker.pool_pids()

    assert services.enqueue(diagnosis.pk)
    _wait_for(celery_worker, diagnosis, Status.PROCESSING, timeout=60)
    celery_worker.wait_until(
        lambda: blocked_opening_a_pipe(doomed), timeout=30, what="the task to open the selfie"
    )
    assert diagnosis.attempts == 1
    os.replace(original, selfie)  # the next attempt reads the real photo
    os.kill(doomed, signal.SIGKILL)

    _wait_for(celery_worker, diagnosis, Status.DONE, Status.FAILED)

    assert diagnosis.status == Status.DONE, diagnosis.failure_reason
    assert diagnosis.attempts == 2  # the task was redelivered, not lost with its process
    assert diagnosis.grade is not None and front(diagnosis).heatmap
    assert f"pid:{doomed} exited with 'signal 9 (SIGKILL)'" in celery_worker.log()
    assert doomed not in celery_worker.pool_pids()


def test_an_upload_while_the_broker_is_down_is_kept_and_processed_once_it_is_back(
    celery_worker, selfie_upload
):
    client = APIClient()
    client.force_login(UserFactory())
    with sending_to(celery_app, broker_url=DEAD_BROKER, queue=celery_worker.queue):
        started = time.monotonic()
        response = _post_selfie(client, selfie_upload(grade=3))
        took = time.monotonic() - started
    print(f"upload with the broker down answered in {took:.2f} s")
    assert took < 15, "the upload hung on the dead broker"  # a hang guard, not a speed test

    assert response.status_code == 201, response.content
    assert response.json()["status"] == Status.QUEUED
    diagnosis = Diagnosis.objects.get(pk=response.json()["id"])
    assert diagnosis.enqueued_at is None  # never reached the broker
    assert front(diagnosis).selfie.storage.exists(front(diagnosis).selfie.name)

    # The broker is back; the periodic sweep finds the upload it never received.
    later = timezone.now() + timedelta(seconds=settings.DIAGNOSIS_RESEND_AFTER + 1)
    assert services.sweep(now=later).resent == 1

    _wait_for(celery_worker, diagnosis, Status.DONE, Status.FAILED)
    assert diagnosis.status == Status.DONE, diagnosis.failure_reason
    assert diagnosis.attempts == 1 and diagnosis.grade is not None
    assert client.get(response["Location"]).json()["status"] == Status.DONE
