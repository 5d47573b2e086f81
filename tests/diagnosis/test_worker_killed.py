"""A worker killed with SIGKILL in the middle of a check, on the embedded filesystem broker that
`make run` uses: the broker loses the message with its worker (it moved it to ``processed/``
when the worker took it), so only the check's lease and the periodic sweep can bring it back.
Real Celery workers (tests/support/worker.py) against the test database; the second runs beat.
"""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from diagnosis import services
from diagnosis.models import Diagnosis
from diagnosis.uploads import clean_selfie
from skinshop.celery import app as celery_app
from tests.diagnosis.factories import selfie_bytes
from tests.diagnosis.web import front
from tests.support.storage import use_private_storage
from tests.support.worker import (
    CeleryWorker,
    blocked_opening_a_pipe,
    database_url,
    sending_to,
    unique_queue,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = Diagnosis.Status
# Short, so the test is: the defaults' sum is checked in test_lease.py.
LEASE_SECONDS = 6
SWEEP_EVERY = 1


def _broker_folders(var: Path) -> dict:
    """The filesystem broker's folders under a VAR_DIR, as the settings lay them out."""
    broker = var / "broker"
    for name in ("queue", "processed", "control"):
        (broker / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "store_processed": True,
        "control_folder": str(broker / "control"),
    }


def test_a_check_whose_worker_was_killed_is_redone_by_the_next_one(tmp_path, settings, monkeypatch):
    var, private = tmp_path / "var", tmp_path / "private"
    folders = _broker_folders(var)
    queue = unique_queue()
    use_private_storage(
        settings,
        monkeypatch,
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": private},
        },
    )

    def worker(name: str, **options) -> CeleryWorker:
        return CeleryWorker(
            queue=queue,
            broker_url="filesystem://",
            database_url=database_url(connection.settings_dict),
            private_root=private,
            log_path=tmp_path / f"{name}.log",
            env={
                "VAR_DIR": str(var),
                "DIAGNOSIS_LEASE_SECONDS": str(LEASE_SECONDS),
                "DIAGNOSIS_SWEEP_EVERY": str(SWEEP_EVERY),
            },
            **options,
        )

    upload = SimpleUploadedFile("selfie.jpg", selfie_bytes(3, seed=7), "image/jpeg")
    with pytest.MonkeyPatch.context() as later:
        later.setattr(services, "enqueue", lambda pk: True)  # sent below, once the trap is set
        diagnosis = services.create_diagnosis(
            photos={"front": clean_selfie(upload)}, guest_token="guest-killed"
        )
    # The stored selfie becomes a named pipe: the pool process that opens it blocks there, so
    # the kill lands inside the attempt, with its lease held.
    selfie = front(diagnosis).selfie.path
    os.replace(selfie, f"{selfie}.original")
    os.mkfifo(selfie)

    first = worker("first").start()
    try:
        [pool] = first.pool_pids()
        with sending_to(
            celery_app, broker_url="filesystem://", queue=queue, transport_options=folders
        ):
            assert services.enqueue(diagnosis.pk)
        first.wait_until(
            lambda: blocked_opening_a_pipe(pool), timeout=60, what="the attempt to open the photo"
        )
        diagnosis.refresh_from_db()
        assert diagnosis.status == Status.PROCESSING and diagnosis.attempts == 1
        assert diagnosis.lease_until is not None
    finally:
        first.kill()  # the whole worker, pool and parent: SIGKILL
    os.replace(f"{selfie}.original", selfie)  # the next attempt reads the real photo
    assert not os.listdir(folders["data_folder_in"]), "the broker kept the dead worker's message"

    with worker("second", beat_schedule=tmp_path / "beat-schedule") as second:

        def finished():
            diagnosis.refresh_from_db()
            return diagnosis.status in (Status.DONE, Status.FAILED)

        second.wait_until(finished, timeout=120, what="the check to be redone")

    assert diagnosis.status == Status.DONE, diagnosis.failure_reason
    assert diagnosis.attempts == 2 and diagnosis.grade is not None
    assert front(diagnosis).heatmap
