"""Diagnosis business rules: intake, the worker's pipeline steps, the sweep, deletion, owners.

The web side calls ``create_diagnosis``; the Celery task calls ``run_analysis``; beat calls
``sweep``. Status moves only here, and only these ways.

A check (``Diagnosis``):

- (new) -> queued: ``create_diagnosis`` (an upload of one to three photos);
- queued -> processing: ``claim``, when the task starts an attempt, which holds a lease on the
  check (``lease_until``) that its worker renews while it runs (``_lease_kept``); a redelivered
  task finds its row still processing and takes it again, counting another attempt, once the
  lease has lapsed (before that, ``CheckLeased``: the task tries again when it may have);
- queued or processing -> failed: ``claim``, once DIAGNOSIS_MAX_ATTEMPTS are used up
  (``gave_up``);
- processing -> done: ``run_analysis`` when at least one photo is graded reliably
  (``_save_results`` combines the reliable ones; a row that is no longer processing keeps what
  it has);
- processing -> failed: ``run_analysis`` when no photo is reliable (``_save_results``: the one
  photo's own code, or ``no_usable_photo`` naming each photo's reason), when the check has no
  photo (``no_photo``) or the engine refuses the check as a whole (the engine's code),
  ``_requeue_or_give_up`` after an error, or from ``sweep`` after a lapsed lease, on the last
  attempt (``crashed``), ``sweep`` past DIAGNOSIS_PROCESSING_DEADLINE (``timeout``);
- processing -> queued: ``_requeue_or_give_up`` after an error with attempts left, or from
  ``sweep`` when the lease lapsed (its worker died: on the filesystem broker its message went
  with it), then sent again;
- failed -> queued: ``requeue_failed`` (staff's second chance, attempts reset).

Each of its photos (``DiagnosisPhoto``), in the same transaction as the check's move to done
or failed in ``_save_results`` (only while the check is still processing):

- (new) -> pending: ``create_diagnosis``;
- pending -> done: the engine graded the photo reliably (``_set_photo_result``);
- pending -> failed: the engine refused the photo (no face, too dark...) or withheld an
  unsure grade (``_set_photo_failed``, with its own code and reason); the other photos are
  still used;
- failed -> pending: ``requeue_failed``, with its check.

A check failed by ``claim``, ``_requeue_or_give_up`` or ``sweep`` leaves its photos pending.
Done is final; deletion (``delete_diagnoses``, ``purge_expired``) removes a row in any status,
with its photos and their files.
"""

import io
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from diagnosis import readings
from diagnosis.models import Diagnosis, DiagnosisPhoto, private_storage
from diagnosis.signals import training_consent_withdrawn
from diagnosis.uploads import CheckedPhotos, CleanSelfie, DecodeBusy, clean_photos
from skinshop import errors, ratelimit

logger = logging.getLogger(__name__)

Status = Diagnosis.Status
Slot = DiagnosisPhoto.Slot

# The Celery task that analyses one diagnosis (diagnosis.tasks.analyze_diagnosis).
ANALYZE_TASK = "diagnosis.tasks.analyze_diagnosis"

TIMEOUT_REASON = (
    "The analysis took too long and was stopped. Please upload the photo again; "
    "if it keeps happening, try another photo."
)
NO_PHOTO_REASON = "This check has no photo. Please upload your photos again."
CRASH_REASON = (
    "Something went wrong on our side while analysing this photo. Please upload it again."
)


class RateLimited(errors.TooManyRequests):
    code = "rate_limited"


class CheckLeased(Exception):
    """Another attempt holds the check and its worker is alive (it renews the lease): a
    duplicate message must neither take the check over nor be dropped, since that worker may
    still die. ``retry_in``: seconds until the lease lapses unless renewed."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"the check is leased for {retry_in:.0f} s more")
        self.retry_in = retry_in


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
UPLOAD_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class UploadCharge:
    """What one upload counted against the hourly limits: (counter, amount) pairs."""

    counted: tuple[tuple[str, int], ...]

    def refund(self) -> None:
        for name, amount in self.counted:
            ratelimit.release(name, window_seconds=UPLOAD_WINDOW_SECONDS, amount=amount)


def charge_upload(
    *, owner_key: str, new_guest: bool, address: str | None, photos: int
) -> UploadCharge:
    """Counts a check's photos against the hourly limits (each photo is a unit of work, so a
    check of three counts three), and a guest session's first upload against the new guest
    sessions of its address; RateLimited, with nothing counted, when one would be passed.

    Fixed one-hour windows (skinshop.ratelimit), counted by atomic increments, so parallel
    uploads cannot all slip through.
    """
    limits = [(f"diagnosis-owner:{owner_key}", photos, settings.DIAGNOSIS_RATE_PER_USER)]
    bucket = ratelimit.address_bucket(address)  # an IPv6 address counts as its /64
    if bucket:
        limits.append((f"diagnosis-addr:{bucket}", photos, settings.DIAGNOSIS_RATE_PER_ADDRESS))
        if new_guest:
            # A client that keeps no cookie is a new guest every time: without this, only the
            # per-address limit would hold it.
            limits.append(
                (f"diagnosis-new-guest:{bucket}", 1, settings.DIAGNOSIS_NEW_GUESTS_PER_ADDRESS)
            )
    counted: list[tuple[str, int]] = []
    for name, amount, limit in limits:
        total = ratelimit.hit(name, window_seconds=UPLOAD_WINDOW_SECONDS, amount=amount)
        counted.append((name, amount))
        if total > limit:
            UploadCharge(tuple(counted)).refund()
            raise RateLimited(
                _rate_limited_message(name, photos, limit, left=limit - (total - amount)),
                retry_after=ratelimit.seconds_left(UPLOAD_WINDOW_SECONDS),
            )
    return UploadCharge(tuple(counted))


def _rate_limited_message(name: str, photos: int, limit: int, *, left: int) -> str:
    if name.startswith("diagnosis-new-guest:"):
        return (
            "Too many new visitors have started a skin check from your network this hour. "
            "Please try again later, or sign in."
        )
    if left > 0:
        return (
            f"We analyse up to {limit} photos an hour, and you can send {left} more this hour: "
            f"send fewer than {photos} photos, or try again later."
        )
    return (
        f"You have sent {limit} photo{'' if limit == 1 else 's'} this hour, the most we analyse "
        "in an hour. Please try again later."
    )


def accept_photos(
    uploads: Mapping[str, File], *, owner_key: str, new_guest: bool, address: str | None
) -> CheckedPhotos:
    """Charges a check's photos to the hourly limits, then reads them (``clean_photos``).

    Called once the cheap checks (consent, fields, sizes) have passed, so a request refused by
    those costs neither a decode nor the shopper's quota. RateLimited when a limit is used up;
    DecodeBusy when no decode slot comes free in time, and then the charge is given back (the
    server refused, not the shopper). A photo refused as a bad file stays counted: it was read.
    """
    charge = charge_upload(
        owner_key=owner_key, new_guest=new_guest, address=address, photos=len(uploads)
    )
    try:
        return clean_photos(uploads)
    except DecodeBusy:
        charge.refund()
        raise


def create_diagnosis(
    *,
    photos: Mapping[str, CleanSelfie] | None = None,
    selfie: CleanSelfie | None = None,
    user=None,
    guest_token: str = "",
    client_address: str | None = None,
    skin_type: str = "",
    training_consent: bool = False,
) -> Diagnosis:
    """Stores each photo of a check (``photos``: slot -> photo; ``selfie``: a front photo alone)
    with its thumbnail and the shopper's ``skin_type`` (blank: not said), commits the check and
    its photos, then (on commit) sends it to the worker. ``training_consent``: the owner also
    lets the shop learn from the photos."""
    if not (user and user.is_authenticated) and not guest_token:
        raise ValueError("A diagnosis needs an owner: a user or a guest token.")
    photos = dict(photos or {})
    if selfie is not None:
        if Slot.FRONT in photos:
            raise ValueError("Give the front photo once: as selfie or in photos.")
        photos[Slot.FRONT] = selfie
    unknown = set(photos) - set(Slot.values)
    if unknown or not photos:
        raise ValueError(f"A check needs one to three photos in {Slot.values}, not {unknown}.")
    diagnosis = Diagnosis(
        id=uuid.uuid4(),
        user=user if user and user.is_authenticated else None,
        guest_token="" if user and user.is_authenticated else guest_token,
        client_address=client_address,
        skin_type=skin_type,
        training_consent=training_consent,
        training_consent_at=timezone.now() if training_consent else None,
    )
    rows: list[DiagnosisPhoto] = []
    try:
        for slot in Slot.values:  # front, left, right
            if slot not in photos:
                continue
            clean = photos[slot]
            row = DiagnosisPhoto(
                diagnosis=diagnosis,
                slot=slot,
                selfie_width=clean.width,
                selfie_height=clean.height,
            )
            rows.append(row)
            row.selfie.save("selfie.jpg", ContentFile(clean.content), save=False)
            row.thumbnail.save("thumb.jpg", ContentFile(clean.thumbnail), save=False)
        with transaction.atomic():
            diagnosis.save(force_insert=True)
            DiagnosisPhoto.objects.bulk_create(rows)
            transaction.on_commit(lambda: enqueue(diagnosis.pk))
    except Exception:
        _delete_files([name for row in rows for name in row.files])  # no file without its row
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

    A redelivered task (its worker died) finds its row still processing and takes it again
    once the lease has lapsed (``CheckLeased`` before); after DIAGNOSIS_MAX_ATTEMPTS the photo
    is given up on, so a photo that kills the worker cannot loop forever.
    """
    now = timezone.now()
    with transaction.atomic():
        diagnosis = Diagnosis.objects.select_for_update().filter(pk=diagnosis_id).first()
        if diagnosis is None or diagnosis.is_finished:
            return None
        lease = diagnosis.lease_until
        if diagnosis.status == Status.PROCESSING and lease is not None and lease > now:
            raise CheckLeased((lease - now).total_seconds())
        if diagnosis.attempts >= settings.DIAGNOSIS_MAX_ATTEMPTS:
            _finish_failed(diagnosis, "gave_up", CRASH_REASON)
            return None
        diagnosis.status = Status.PROCESSING
        diagnosis.attempts += 1
        diagnosis.started_at = now
        diagnosis.lease_until = now + timedelta(seconds=settings.DIAGNOSIS_LEASE_SECONDS)
        diagnosis.save(update_fields=["status", "attempts", "started_at", "lease_until"])
    return diagnosis


def renew_lease(diagnosis_id: uuid.UUID | str, *, attempt: int) -> bool:
    """Extends the lease of the attempt that holds the check; False once it holds it no more
    (finished, or queued again after its lease lapsed)."""
    lease_until = timezone.now() + timedelta(seconds=settings.DIAGNOSIS_LEASE_SECONDS)
    return bool(
        Diagnosis.objects.filter(
            pk=diagnosis_id, status=Status.PROCESSING, attempts=attempt
        ).update(lease_until=lease_until)
    )


@contextmanager
def _lease_kept(diagnosis: Diagnosis) -> Iterator[None]:
    """Renews the attempt's lease from a thread while the block runs, so a long analysis
    keeps its check and a dead process (whose thread dies with it) loses it."""
    if transaction.get_connection().in_atomic_block:
        # Inside a transaction (a test, eager mode) no other connection sees the claim.
        yield
        return
    stop = threading.Event()
    renewer = threading.Thread(
        target=_renew_until,
        args=(diagnosis.pk, diagnosis.attempts, stop),
        name=f"lease-{diagnosis.pk}",
        daemon=True,
    )
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=5)


def _renew_until(diagnosis_id: uuid.UUID, attempt: int, stop: threading.Event) -> None:
    try:
        while not stop.wait(settings.DIAGNOSIS_LEASE_SECONDS / 3):
            try:
                if not renew_lease(diagnosis_id, attempt=attempt):
                    return
            except Exception:  # a locked or lost database: the next beat tries again
                logger.warning("Could not renew the lease of %s", diagnosis_id, exc_info=True)
    finally:
        connections.close_all()  # this thread's own connections


def run_analysis(diagnosis_id: uuid.UUID | str, *, analyzer, version=None) -> Diagnosis | None:
    """One attempt of the pipeline over every photo of a check, in one call to the engine
    (normalize -> predict -> k-augmentation heatmap -> zones, batched across the photos).

    ``analyzer`` is a loaded ``diagnosis.ml.inference.Analyzer`` (loaded once per worker
    process); ``version``, the registered ModelVersion it is (None: the configured file), is
    kept with the result. A photo the engine refuses or cannot grade reliably ends failed with
    its own reason while the others are still used; the check is done when at least one photo is
    graded, failed (saying what to retake) when none is. Any other error puts the check back in
    the queue (or fails it after the last attempt) and is raised.
    """
    diagnosis = claim(diagnosis_id)
    if diagnosis is None:
        return None
    with _lease_kept(diagnosis):
        return _analyse(diagnosis, analyzer, version)


def _analyse(diagnosis: Diagnosis, analyzer, version) -> Diagnosis:
    from diagnosis.ml.errors import AnalysisError

    photos = list(diagnosis.photos.order_by("slot"))
    if not photos:  # nothing to analyse; another attempt would find nothing either
        with transaction.atomic():
            _finish_failed(diagnosis, "no_photo", NO_PHOTO_REASON)
        return diagnosis
    try:
        views = []
        for photo in photos:
            with photo.selfie.open("rb") as handle:
                views.append((photo.slot, handle.read()))
        outcomes = analyzer.analyze_photos(views, k=settings.DIAGNOSIS_EXPLAIN_K, seed=0)
    except AnalysisError as error:
        # The engine refused the check as a whole (not one photo of it): the check fails.
        with transaction.atomic():
            _finish_failed(diagnosis, error.code, error.message)
        return diagnosis
    except Exception:
        _requeue_or_give_up(diagnosis.pk)
        raise
    return _save_results(diagnosis, photos, outcomes, version)


@dataclass(frozen=True)
class _Refusal:
    slot: str
    code: str
    message: str


def _save_results(
    diagnosis: Diagnosis, photos: list[DiagnosisPhoto], outcomes, version=None
) -> Diagnosis:
    from diagnosis.ml.combine import combine_photos

    by_slot = {outcome.slot: outcome for outcome in outcomes}
    graded = []  # (photo, result)
    refused: list[_Refusal] = []
    for photo in photos:
        outcome = by_slot[photo.slot]  # the engine answers for every view it was given
        if outcome.error is not None:
            refused.append(_Refusal(photo.slot, outcome.error.code, outcome.error.message))
        elif not outcome.result.reliable:
            # An unsure grade, or a photo unlike anything the model learned from, must not turn
            # into a grade and a kit: the shopper is told what to try instead.
            abstain = outcome.result.abstain
            code, message = readings.refusal(
                outcome.result.view, abstain["code"], abstain["message"]
            )
            refused.append(_Refusal(photo.slot, code, message))
        else:
            # Only the zones the shopper's photo shows (not the far cheek of a side photo)
            # count, for the photo and for the check.
            outcome.result.zones = readings.visible_zones(outcome.result.zones, photo.slot)
            graded.append((photo, outcome.result))
    combined = combine_photos([result for _, result in graded]) if graded else None

    heatmaps = {photo.slot: _store_heatmap(photo, result) for photo, result in graded}
    now = timezone.now()
    with transaction.atomic():
        # Only a check still processing takes the result: one the shopper deleted, or the
        # sweep timed out, keeps what it has, and the new heatmaps go.
        if combined is None:
            reason = _unusable_reason(refused)
            taken = Diagnosis.objects.filter(pk=diagnosis.pk, status=Status.PROCESSING).update(
                status=Status.FAILED,
                failure_code=reason.code,
                failure_reason=reason.message,
                finished_at=now,
            )
        else:
            deciding = next(result for _, result in graded if result.slot == combined.slot)
            taken = Diagnosis.objects.filter(pk=diagnosis.pk, status=Status.PROCESSING).update(
                **_combined_values(combined, deciding), model_release=version, finished_at=now
            )
        if taken:
            for photo, result in graded:
                _set_photo_result(photo, result, heatmaps[photo.slot])
            for refusal in refused:
                photo = next(p for p in photos if p.slot == refusal.slot)
                _set_photo_failed(photo, refusal.code, refusal.message, by_slot[photo.slot])
    if not taken:
        _delete_files([name for name in heatmaps.values() if name])
        return diagnosis
    diagnosis.refresh_from_db()
    return diagnosis


def _store_heatmap(photo: DiagnosisPhoto, result) -> str:
    """Writes the photo's heatmap layer; its storage name ("" when the model highlighted
    nothing)."""
    layer = result.heatmap_layer()
    if layer is None:
        return ""
    buffer = io.BytesIO()
    layer.save(buffer, format="PNG", optimize=True)
    # An attempt whose worker died after writing the file left it behind: replace it.
    private_storage().delete(photo.heatmap.field.generate_filename(photo, ""))
    photo.heatmap.save("heatmap.png", ContentFile(buffer.getvalue()), save=False)
    return photo.heatmap.name


def _combined_values(combined, deciding) -> dict:
    summary = deciding.to_dict()
    return {
        "status": Status.DONE,
        "grade": combined.grade,
        "label": combined.label,
        "score": round(float(combined.score), 4),
        "probabilities": [round(float(p), 4) for p in combined.probabilities],
        "confidence": round(float(combined.confidence), 4),
        "combined_from": combined.slot,
        "zones": list(combined.zones),
        "scale": summary["scale"],
        "model_name": deciding.model.get("name", ""),
        "model_version": deciding.model.get("version", ""),
        "model_terms": list(deciding.training_data),
        "timings": summary["timings"],
        "failure_code": "",
        "failure_reason": "",
    }


def _set_photo_result(photo: DiagnosisPhoto, result, heatmap_name: str) -> None:
    summary = result.to_dict()
    photo.status = DiagnosisPhoto.Status.DONE
    photo.grade = result.grade
    photo.label = result.label
    photo.score = round(float(result.score), 4)
    photo.probabilities = summary["probabilities"]
    photo.confidence = round(float(result.confidence), 4)
    photo.face_box = summary["face_box"]
    photo.notes = summary["notes"]
    photo.heatmap = heatmap_name
    photo.heatmap_coverage = summary.get("heatmap", {}).get("coverage")
    photo.view = result.view
    photo.zones = list(result.zones)
    photo.failure_code = photo.failure_reason = ""
    photo.save()


def _set_photo_failed(photo: DiagnosisPhoto, code: str, message: str, outcome) -> None:
    photo.status = DiagnosisPhoto.Status.FAILED
    photo.failure_code = code
    photo.failure_reason = message
    photo.grade = photo.score = photo.confidence = photo.heatmap_coverage = None
    photo.label = ""
    photo.probabilities = photo.zones = []
    photo.heatmap = ""
    # A withheld photo was still read: how, and the remarks on it, help to retake it.
    result = outcome.result
    photo.view = result.view if result is not None else ""
    photo.notes = list(result.notes) if result is not None else []
    photo.face_box = list(result.face_box) if result is not None else []
    photo.save()


def _unusable_reason(refused: list[_Refusal]) -> _Refusal:
    """What the shopper is told when no photo of a check could be graded."""
    if len(refused) == 1:
        return refused[0]
    codes = {refusal.code for refusal in refused}
    names = dict(DiagnosisPhoto.Slot.choices)
    return _Refusal(
        slot="",
        code=codes.pop() if len(codes) == 1 else "no_usable_photo",
        message="None of your photos could be graded. "
        + " ".join(f"{names[r.slot]} photo: {r.message}" for r in refused),
    )


def _finish_failed(diagnosis: Diagnosis, code: str, reason: str) -> None:
    diagnosis.status = Status.FAILED
    diagnosis.failure_code = code
    diagnosis.failure_reason = reason
    diagnosis.finished_at = timezone.now()
    diagnosis.save(update_fields=["status", "failure_code", "failure_reason", "finished_at"])


def _requeue_or_give_up(diagnosis_id: uuid.UUID, *, lease_lapsed_by: datetime | None = None):
    """An attempt that crashed (or, with ``lease_lapsed_by``, whose lease lapsed by then: its
    worker died) ends: back to queued with attempts left, else failed. Returns the new status,
    None when the row had moved on (finished, deleted, taken over)."""
    with transaction.atomic():
        rows = Diagnosis.objects.select_for_update().filter(pk=diagnosis_id)
        if lease_lapsed_by is not None:
            rows = rows.filter(lease_until__lt=lease_lapsed_by)
        row = rows.first()
        if row is None or row.status != Status.PROCESSING:
            return None
        if row.attempts >= settings.DIAGNOSIS_MAX_ATTEMPTS:
            _finish_failed(row, "crashed", CRASH_REASON)
        else:
            row.status = Status.QUEUED
            row.lease_until = None
            row.save(update_fields=["status", "lease_until"])
        return row.status


# --- Sweep ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepReport:
    resent: int
    timed_out: int
    requeued: int = 0  # their worker's lease lapsed
    given_up: int = 0  # the same, on their last attempt


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Re-sends diagnoses left queued (the broker was down, a message was lost), fails
    those processing past the deadline and queues again (or gives up on) those whose worker
    stopped renewing its lease: an upload is never lost and never spins forever."""
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
    lapsed = Diagnosis.objects.filter(status=Status.PROCESSING, lease_until__lt=now)
    ended = [
        (pk, _requeue_or_give_up(pk, lease_lapsed_by=now))
        for pk in lapsed.values_list("pk", flat=True)
    ]
    requeued = [pk for pk, status in ended if status == Status.QUEUED]
    for pk in requeued:
        enqueue(pk)
    given_up = sum(status == Status.FAILED for _, status in ended)
    if resent or timed_out or requeued or given_up:
        logger.info(
            "Diagnosis sweep: %d re-sent, %d timed out, %d requeued and %d given up after "
            "their worker's lease lapsed",
            resent,
            timed_out,
            len(requeued),
            given_up,
        )
    return SweepReport(
        resent=resent, timed_out=timed_out, requeued=len(requeued), given_up=given_up
    )


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
        DiagnosisPhoto.objects.filter(diagnosis__in=ids, diagnosis__status=Status.QUEUED).update(
            status=DiagnosisPhoto.Status.PENDING, failure_code="", failure_reason=""
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


def delete_files_with(sender, instance: DiagnosisPhoto, **kwargs) -> None:
    """``post_delete`` receiver of photos: a photo's files go with its row however the row goes
    (with its check: a shopper's delete, the admin, the purge, or the cascade of a deleted
    account), once the deletion is committed; a rolled-back deletion keeps them."""
    names = instance.files
    if names:
        transaction.on_commit(lambda: _delete_files(names))


# --- Consent to learn -----------------------------------------------------------------------
def withdraw_training_consent(diagnoses, *, now: datetime | None = None) -> int:
    """Ends consent to learn on the given checks: their photos leave the labelling queue and
    every future export (``training_consent_withdrawn`` lets the labelling app delete their
    labels), and a check kept past its own retention only for training is deleted with its
    files. Returns how many checks had it."""
    now = now or timezone.now()
    ids = [d.pk for d in diagnoses]
    with transaction.atomic():
        consented = Diagnosis.objects.select_for_update().filter(pk__in=ids, training_consent=True)
        withdrawn = list(consented.values_list("pk", flat=True))
        consented.update(training_consent=False, training_consent_at=None)
        photo_ids = list(
            DiagnosisPhoto.objects.filter(diagnosis__in=withdrawn).values_list("pk", flat=True)
        )
        if photo_ids:
            training_consent_withdrawn.send(sender=Diagnosis, photo_ids=photo_ids)
        delete_diagnoses(_past_own_retention(Diagnosis.objects.filter(pk__in=withdrawn), now))
    return len(withdrawn)


@dataclass(frozen=True)
class PurgeReport:
    guests: int
    expired: int
    consent_lapsed: int = 0


def _past_own_retention(diagnoses, now: datetime):
    """Of ``diagnoses``, those their owner's retention no longer keeps: anonymous ones past
    ``DIAGNOSIS_GUEST_RETENTION_DAYS`` (their session is gone: no one can see or delete them),
    and any past ``DIAGNOSIS_RETENTION_DAYS`` when that is set (0: an account's checks are
    kept until its owner deletes them or the account)."""
    guests_before = now - timedelta(days=settings.DIAGNOSIS_GUEST_RETENTION_DAYS)
    old = Q(user__isnull=True, created_at__lt=guests_before)
    if settings.DIAGNOSIS_RETENTION_DAYS:
        old |= Q(created_at__lt=now - timedelta(days=settings.DIAGNOSIS_RETENTION_DAYS))
    return diagnoses.filter(old)


def purge_expired(*, now: datetime | None = None) -> PurgeReport:
    """Deletes, with their files, what the retention settings no longer allow us to keep
    (``_past_own_retention``), except checks whose photos the owner lets the shop learn from:
    those follow ``DIAGNOSIS_TRAINING_RETENTION_DAYS`` from the consent, when it lapses (as a
    withdrawal: a check kept only for training then goes too)."""
    now = now or timezone.now()
    training_before = now - timedelta(days=settings.DIAGNOSIS_TRAINING_RETENTION_DAYS)
    lapsed = withdraw_training_consent(
        Diagnosis.objects.filter(training_consent=True, training_consent_at__lt=training_before),
        now=now,
    )
    expired = _past_own_retention(Diagnosis.objects.filter(training_consent=False), now)
    guests = delete_diagnoses(expired.filter(user__isnull=True))
    expired = delete_diagnoses(expired)
    if guests or expired or lapsed:
        logger.info(
            "Diagnosis purge: %d anonymous, %d past retention, %d consents to learn lapsed",
            guests,
            expired,
            lapsed,
        )
    return PurgeReport(guests=guests, expired=expired, consent_lapsed=lapsed)


def _delete_files(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # a file already gone must not stop the others
            logger.warning("Could not delete %s", name, exc_info=True)
