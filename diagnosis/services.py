"""Diagnosis business rules: intake, the worker's pipeline steps, the sweep, deletion, owners.

The web side calls ``create_diagnosis``; the Celery task calls ``run_analysis``; beat calls
``sweep``. Status moves only here, and only these ways:

- (new) -> queued: ``create_diagnosis`` (an upload);
- queued -> processing: ``claim``, when the task starts an attempt (a redelivered task finds
  its row still processing and takes it again, counting another attempt);
- queued or processing -> failed: ``claim``, once DIAGNOSIS_MAX_ATTEMPTS are used up
  (``gave_up``);
- processing -> done: ``run_analysis`` with a reliable result (``_save_result``; a row that
  is no longer processing keeps what it has);
- processing -> failed: ``run_analysis`` on a photo the engine cannot use or a result it
  withholds (the engine's code), ``_requeue_or_give_up`` after an error on the last attempt
  (``crashed``), ``sweep`` past DIAGNOSIS_PROCESSING_DEADLINE (``timeout``);
- processing -> queued: ``_requeue_or_give_up`` after an error with attempts left;
- failed -> queued: ``requeue_failed`` (staff's second chance, attempts reset).

Done is final; deletion (``delete_diagnoses``, ``purge_expired``) removes a row in any status.
"""

import io
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from diagnosis.models import Diagnosis, private_storage
from diagnosis.uploads import CleanSelfie
from skinshop import errors, ratelimit

logger = logging.getLogger(__name__)

Status = Diagnosis.Status

# The Celery task that analyses one diagnosis (diagnosis.tasks.analyze_diagnosis).
ANALYZE_TASK = "diagnosis.tasks.analyze_diagnosis"

TIMEOUT_REASON = (
    "The analysis took too long and was stopped. Please upload the photo again; "
    "if it keeps happening, try another photo."
)
CRASH_REASON = (
    "Something went wrong on our side while analysing this photo. Please upload it again."
)


class RateLimited(errors.TooManyRequests):
    code = "rate_limited"


# --- The model ------------------------------------------------------------------------------
def checkpoint_path():
    """The model file the workers load: DIAGNOSIS_CHECKPOINT, else the shipped model named by
    DIAGNOSIS_MODEL. Imported late: the web process does not load PyTorch for this."""
    from pathlib import Path

    from diagnosis.ml.checkpoint import shipped_checkpoint

    if settings.DIAGNOSIS_CHECKPOINT:
        return Path(settings.DIAGNOSIS_CHECKPOINT)
    return shipped_checkpoint(settings.DIAGNOSIS_MODEL)


# --- Intake ---------------------------------------------------------------------------------
def check_upload_rate(*, owner_key: str, address: str | None) -> None:
    """Counts this upload against the hourly limits; RateLimited when one is used up.

    Fixed one-hour windows (skinshop.ratelimit). Counted before the upload is checked, so
    floods of bad files are limited too.
    """
    limits = [(f"diagnosis-owner:{owner_key}", settings.DIAGNOSIS_RATE_PER_USER)]
    bucket = ratelimit.address_bucket(address)  # an IPv6 address counts as its /64
    if bucket:
        limits.append((f"diagnosis-addr:{bucket}", settings.DIAGNOSIS_RATE_PER_ADDRESS))
    for name, limit in limits:
        count = ratelimit.hit(name, window_seconds=3600)
        if count > limit:
            raise RateLimited(
                f"You have sent {limit} photos this hour, the most we analyse in an hour. "
                "Please try again later.",
                retry_after=ratelimit.seconds_left(3600),
            )


def create_diagnosis(
    *,
    selfie: CleanSelfie,
    user=None,
    guest_token: str = "",
    client_address: str | None = None,
) -> Diagnosis:
    """Stores the selfie and its thumbnail, commits the row, then (on commit) sends it to the
    worker."""
    if not (user and user.is_authenticated) and not guest_token:
        raise ValueError("A diagnosis needs an owner: a user or a guest token.")
    diagnosis = Diagnosis(
        id=uuid.uuid4(),
        user=user if user and user.is_authenticated else None,
        guest_token="" if user and user.is_authenticated else guest_token,
        client_address=client_address,
        selfie_width=selfie.width,
        selfie_height=selfie.height,
    )
    try:
        diagnosis.selfie.save("selfie.jpg", ContentFile(selfie.content), save=False)
        diagnosis.thumbnail.save("thumb.jpg", ContentFile(selfie.thumbnail), save=False)
        with transaction.atomic():
            diagnosis.save(force_insert=True)
            transaction.on_commit(lambda: enqueue(diagnosis.pk))
    except Exception:
        _delete_files(_file_names(diagnosis))  # no file without its row
        raise
    return diagnosis


def enqueue(diagnosis_id: uuid.UUID) -> bool:
    """Sends the analysis task. A broker that is down is logged, not raised: the row stays
    queued and the sweep sends it again, so the upload is never lost."""
    # By name: the task module imports this one, not the other way round. A signature (not
    # send_task) so that CELERY_TASK_ALWAYS_EAGER still runs it in this process.
    task = current_app.signature(ANALYZE_TASK, args=[str(diagnosis_id)])
    try:
        task.apply_async(retry=False)
    except Exception:  # kombu's OperationalError, socket errors, a full disk for the fs broker
        logger.warning(
            "Could not send diagnosis %s to the broker; the sweep will retry",
            diagnosis_id,
            exc_info=True,
        )
        return False
    Diagnosis.objects.filter(pk=diagnosis_id, status=Status.QUEUED).update(
        enqueued_at=timezone.now()
    )
    return True


# --- Worker ---------------------------------------------------------------------------------
def claim(diagnosis_id: uuid.UUID | str) -> Diagnosis | None:
    """Marks a diagnosis processing for this attempt; None when there is nothing to do.

    A redelivered task (its worker died) finds its row still processing and takes it again;
    after DIAGNOSIS_MAX_ATTEMPTS the photo is given up on, so a photo that kills the worker
    cannot loop forever.
    """
    with transaction.atomic():
        diagnosis = Diagnosis.objects.select_for_update().filter(pk=diagnosis_id).first()
        if diagnosis is None or diagnosis.is_finished:
            return None
        if diagnosis.attempts >= settings.DIAGNOSIS_MAX_ATTEMPTS:
            _finish_failed(diagnosis, "gave_up", CRASH_REASON)
            return None
        diagnosis.status = Status.PROCESSING
        diagnosis.attempts += 1
        diagnosis.started_at = timezone.now()
        diagnosis.save(update_fields=["status", "attempts", "started_at"])
    return diagnosis


def run_analysis(diagnosis_id: uuid.UUID | str, *, analyzer) -> Diagnosis | None:
    """One attempt of the pipeline: normalize -> predict -> k-augmentation heatmap -> layer.

    ``analyzer`` is a loaded ``diagnosis.ml.inference.Analyzer`` (loaded once per worker
    process). A photo the engine cannot use ends failed with the engine's reason; any other
    error puts the row back in the queue (or fails it after the last attempt) and is raised.
    """
    from diagnosis.ml.errors import AnalysisError

    diagnosis = claim(diagnosis_id)
    if diagnosis is None:
        return None
    try:
        with diagnosis.selfie.open("rb") as handle:
            data = handle.read()
        result = analyzer.analyze(data, k=settings.DIAGNOSIS_EXPLAIN_K, seed=0)
    except AnalysisError as error:
        with transaction.atomic():
            _finish_failed(diagnosis, error.code, error.message)
        return diagnosis
    except Exception:
        _requeue_or_give_up(diagnosis)
        raise
    if not result.reliable:
        # An unsure grade, or a photo unlike anything the model learned from, must not turn
        # into a grade and a kit: the shopper is told what to try instead.
        with transaction.atomic():
            _finish_failed(diagnosis, result.abstain["code"], result.abstain["message"])
        return diagnosis
    return _save_result(diagnosis, result)


def _save_result(diagnosis: Diagnosis, result) -> Diagnosis:
    layer = result.heatmap_layer()
    heatmap_name = ""
    if layer is not None:
        buffer = io.BytesIO()
        layer.save(buffer, format="PNG", optimize=True)
        # An attempt whose worker died after writing the file left it behind: replace it.
        private_storage().delete(diagnosis.heatmap.field.generate_filename(diagnosis, ""))
        diagnosis.heatmap.save("heatmap.png", ContentFile(buffer.getvalue()), save=False)
        heatmap_name = diagnosis.heatmap.name
    summary = result.to_dict()
    values = {
        "status": Status.DONE,
        "grade": result.grade,
        "label": result.label,
        "score": round(float(result.score), 4),
        "probabilities": summary["probabilities"],
        "scale": summary["scale"],
        "face_box": summary["face_box"],
        "notes": summary["notes"],
        "heatmap": heatmap_name,
        "heatmap_coverage": summary.get("heatmap", {}).get("coverage"),
        "model_name": result.model.get("name", ""),
        "model_version": result.model.get("version", ""),
        "model_terms": list(result.training_data),
        "confidence": round(float(result.confidence), 4),
        "view": result.view,
        "timings": summary["timings"],
        "failure_code": "",
        "failure_reason": "",
        "finished_at": timezone.now(),
    }
    # Only a row still processing takes the result: one the shopper deleted, or the sweep
    # timed out, keeps what it has, and the orphan heatmap goes.
    updated = Diagnosis.objects.filter(pk=diagnosis.pk, status=Status.PROCESSING).update(**values)
    if not updated:
        if heatmap_name:
            private_storage().delete(heatmap_name)
        return diagnosis
    diagnosis.refresh_from_db()
    return diagnosis


def _finish_failed(diagnosis: Diagnosis, code: str, reason: str) -> None:
    diagnosis.status = Status.FAILED
    diagnosis.failure_code = code
    diagnosis.failure_reason = reason
    diagnosis.finished_at = timezone.now()
    diagnosis.save(update_fields=["status", "failure_code", "failure_reason", "finished_at"])


def _requeue_or_give_up(diagnosis: Diagnosis) -> None:
    with transaction.atomic():
        row = Diagnosis.objects.select_for_update().filter(pk=diagnosis.pk).first()
        if row is None or row.status != Status.PROCESSING:
            return
        if row.attempts >= settings.DIAGNOSIS_MAX_ATTEMPTS:
            _finish_failed(row, "crashed", CRASH_REASON)
        else:
            row.status = Status.QUEUED
            row.save(update_fields=["status"])


# --- Sweep ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepReport:
    resent: int
    timed_out: int


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Re-sends diagnoses left queued (the broker was down, a message was lost) and fails
    those processing past the deadline: an upload is never lost and never spins forever."""
    now = now or timezone.now()
    resend_before = now - timedelta(seconds=settings.DIAGNOSIS_RESEND_AFTER)
    stale = Diagnosis.objects.filter(status=Status.QUEUED).filter(
        Q(enqueued_at__lt=resend_before) | Q(enqueued_at__isnull=True, created_at__lt=resend_before)
    )
    resent = sum(enqueue(pk) for pk in stale.values_list("pk", flat=True))
    deadline = now - timedelta(seconds=settings.DIAGNOSIS_PROCESSING_DEADLINE)
    timed_out = Diagnosis.objects.filter(status=Status.PROCESSING, started_at__lt=deadline).update(
        status=Status.FAILED, failure_code="timeout", failure_reason=TIMEOUT_REASON, finished_at=now
    )
    if resent or timed_out:
        logger.info("Diagnosis sweep: %d re-sent, %d timed out", resent, timed_out)
    return SweepReport(resent=resent, timed_out=timed_out)


def requeue_failed(diagnoses) -> int:
    """Staff's second chance for failed analyses (e.g. after a model or worker fix): back to
    queued with fresh attempts, sent once committed. Other statuses are left alone."""
    ids = [d.pk for d in diagnoses if d.status == Status.FAILED]
    with transaction.atomic():
        count = Diagnosis.objects.filter(pk__in=ids, status=Status.FAILED).update(
            status=Status.QUEUED,
            attempts=0,
            failure_code="",
            failure_reason="",
            started_at=None,
            finished_at=None,
            enqueued_at=None,
        )
        for pk in ids:
            transaction.on_commit(lambda pk=pk: enqueue(pk))
    return count


# --- Owners and deletion --------------------------------------------------------------------
def attach_guest_diagnoses(*, user, guest_token: str) -> int:
    """At log-in: the anonymous session's diagnoses become the account's."""
    if not guest_token:
        return 0
    return Diagnosis.objects.filter(user__isnull=True, guest_token=guest_token).update(
        user=user, guest_token=""
    )


def delete_diagnoses(diagnoses) -> int:
    """Deletes rows and, once the deletion is committed, their files (``delete_files_with``)."""
    rows = list(diagnoses)
    with transaction.atomic():
        Diagnosis.objects.filter(pk__in=[d.pk for d in rows]).delete()
    return len(rows)


def delete_files_with(sender, instance: Diagnosis, **kwargs) -> None:
    """``post_delete`` receiver: a diagnosis' files go with its row however the row goes (a
    shopper's delete, the admin, the purge, or the cascade of a deleted account), once the
    deletion is committed; a rolled-back deletion keeps them."""
    names = _file_names(instance)
    if names:
        transaction.on_commit(lambda: _delete_files(names))


@dataclass(frozen=True)
class PurgeReport:
    guests: int
    expired: int


def purge_expired(*, now: datetime | None = None) -> PurgeReport:
    """Deletes, with their files, what the retention settings no longer allow us to keep:

    - anonymous diagnoses older than ``DIAGNOSIS_GUEST_RETENTION_DAYS``: the session that owned
      them has expired by then, so no one can see or delete them any more;
    - any diagnosis older than ``DIAGNOSIS_RETENTION_DAYS`` when that is set (0: an account's
      diagnoses are kept until its owner deletes them or the account).
    """
    now = now or timezone.now()
    guests_before = now - timedelta(days=settings.DIAGNOSIS_GUEST_RETENTION_DAYS)
    guests = delete_diagnoses(
        Diagnosis.objects.filter(user__isnull=True, created_at__lt=guests_before)
    )
    expired = 0
    if settings.DIAGNOSIS_RETENTION_DAYS:
        before = now - timedelta(days=settings.DIAGNOSIS_RETENTION_DAYS)
        expired = delete_diagnoses(Diagnosis.objects.filter(created_at__lt=before))
    if guests or expired:
        logger.info("Diagnosis purge: %d anonymous, %d past retention", guests, expired)
    return PurgeReport(guests=guests, expired=expired)


def _file_names(diagnosis: Diagnosis) -> list[str]:
    """Every file stored for a diagnosis."""
    return [f.name for f in (diagnosis.selfie, diagnosis.thumbnail, diagnosis.heatmap) if f]


def _delete_files(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # a file already gone must not stop the others
            logger.warning("Could not delete %s", name, exc_info=True)
