"""Who may see which diagnoses: one rule for pages, media and the API."""

import functools
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from diagnosis.models import Diagnosis, DiagnosisPhoto
from skinshop.errors import Conflict, NotFound

VIEW_SELFIE_PERMISSION = "diagnosis.view_selfie"


def owned_diagnoses(*, user, guest_token: str = "") -> QuerySet[Diagnosis]:
    """The viewer's own diagnoses: the account's, or the anonymous session's."""
    if user is not None and user.is_authenticated:
        return Diagnosis.objects.filter(user=user)
    if guest_token:
        return Diagnosis.objects.filter(user__isnull=True, guest_token=guest_token)
    return Diagnosis.objects.none()


def _visible_diagnoses(*, user, guest_token: str) -> QuerySet[Diagnosis]:
    if (
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perm(VIEW_SELFIE_PERMISSION)
    ):
        return Diagnosis.objects.all()
    return owned_diagnoses(user=user, guest_token=guest_token)


def visible_diagnosis(pk, *, user, guest_token: str = "") -> Diagnosis | None:
    """The diagnosis if the viewer owns it or is staff with the explicit permission; None
    otherwise (callers answer 404 either way, so ids are not confirmed to strangers)."""
    try:
        return _visible_diagnoses(user=user, guest_token=guest_token).filter(pk=pk).first()
    except (ValidationError, ValueError):  # a malformed id is simply "not found"
        return None


def same_owner(first: Diagnosis, second: Diagnosis) -> bool:
    """Whether two checks are one person's: the same account, or the same guest session."""
    if first.user_id or second.user_id:
        return first.user_id == second.user_id
    return bool(first.guest_token) and first.guest_token == second.guest_token


# While a check is pending, what its answer shows changes only with these (its photos change
# with its move to done or failed, and every move changes its status); none comes back to an
# earlier value, so equal values mean an equal answer.
PENDING_STATE_FIELDS = ("id", "status", "attempts", "enqueued_at", "started_at")
PENDING = (Diagnosis.Status.QUEUED, Diagnosis.Status.PROCESSING)


def pending_state(pk, *, user, guest_token: str = "") -> tuple | None:
    """``PENDING_STATE_FIELDS`` of the viewer's own check (``owned_diagnoses``: staff who may
    see others' get none) while it is queued or processing, in one read by primary key; None
    once it is finished, and for anyone else."""
    account = user is not None and user.is_authenticated
    if not account and not guest_token:
        return None
    try:
        check = uuid.UUID(str(pk))
    except ValueError:  # a malformed id is simply "not found"
        return None
    sql, slots = _pending_read(account)
    given = {
        _USER: user.pk if account else None,
        _GUEST: guest_token,
        _CHECK: Diagnosis._meta.pk.get_db_prep_value(check, connections[Diagnosis.objects.db]),
    }
    read = Diagnosis.objects.raw(sql, [given.get(slot, slot) for slot in slots])
    # The values as the model has them (the database's own types converted), as with_etag
    # reads them from the full answer's row.
    return next((tuple(getattr(row, f) for f in PENDING_STATE_FIELDS) for row in read), None)


# The parameters of pending_state's read that each poll gives, and stand-ins for them.
_USER, _GUEST, _CHECK = object(), object(), object()
_SOME_USER, _SOME_GUEST, _SOME_CHECK = -1, "some guest", uuid.UUID(int=0)


@functools.cache
def _pending_read(account: bool) -> tuple[str, tuple]:
    """The SQL of pending_state's read and its parameters (``_USER``, ``_GUEST``, ``_CHECK``
    where a poll gives its own), compiled once from ``owned_diagnoses``, the one owner rule:
    building and compiling the query each time would cost a poll more than the read itself."""
    user = get_user_model()(pk=_SOME_USER) if account else None
    owned = owned_diagnoses(user=user, guest_token=_SOME_GUEST)
    pending = owned.filter(pk=_SOME_CHECK, status__in=PENDING).order_by()
    sql, params = pending.values_list(*PENDING_STATE_FIELDS)[:1].query.sql_with_params()
    some_check = Diagnosis._meta.pk.get_db_prep_value(_SOME_CHECK, connections[pending.db])
    stand_ins = {_SOME_USER: _USER, _SOME_GUEST: _GUEST, some_check: _CHECK}
    return sql, tuple(stand_ins.get(param, param) for param in params)


def previous_done(owned: QuerySet[Diagnosis], diagnosis: Diagnosis) -> Diagnosis | None:
    """The latest done check of ``owned`` (the viewer's own) taken before ``diagnosis``."""
    return (
        owned.filter(status=Diagnosis.Status.DONE, created_at__lt=diagnosis.created_at)
        .order_by("-created_at")
        .first()
    )


def visible_photo(pk, slot: str | None, *, user, guest_token: str = "") -> DiagnosisPhoto | None:
    """A photo of a diagnosis the viewer may see (``visible_diagnosis``): the one in ``slot``,
    or with no slot the first one (front when there is one); None otherwise."""
    diagnosis = visible_diagnosis(pk, user=user, guest_token=guest_token)
    if diagnosis is None:
        return None
    photos = diagnosis.photos.order_by("slot")
    if slot is not None:
        photos = photos.filter(slot=slot)
    return photos.first()


class NotGraded(Conflict):
    code = "diagnosis_not_graded"


def grade_of(diagnosis: Diagnosis) -> int:
    """The grade a check came to (combined over its reliable photos); ``NotGraded`` (409),
    saying why, while it has none."""
    if diagnosis.status == Diagnosis.Status.FAILED:
        raise NotGraded(f"This diagnosis has no grade: {diagnosis.failure_reason}")
    if diagnosis.grade is None:
        raise NotGraded("This diagnosis is not finished yet; try again in a moment.")
    return diagnosis.grade


def owned_check_findings(request, check_id) -> dict:
    """For "add the kit" (``settings.RECOMMENDATIONS_CHECK_LOOKUP``): the grade and zone
    findings of the requester's own check ``check_id``. Anyone else's is ``NotFound``, staff
    allowed to view it included (a kit is bought for one's own skin); one without a result
    is ``NotGraded``."""
    from diagnosis.session import guest_token

    owned = owned_diagnoses(user=request.user, guest_token=guest_token(request))
    try:
        diagnosis = owned.filter(pk=check_id).first()
    except (ValidationError, ValueError):
        diagnosis = None
    if diagnosis is None:
        raise NotFound("No such skin check of yours.", code="no_check")
    return {"id": diagnosis.pk, "grade": grade_of(diagnosis), "zones": diagnosis.zones}


def export_for_user(user) -> list[dict]:
    """The owner's skin checks for their data export (``ACCOUNTS_DATA_EXPORTS``): results and
    each photo's, without the photos themselves (their files are the owner's to view on the
    site; an export stays small)."""
    checks = owned_diagnoses(user=user).prefetch_related("photos").order_by("created_at")
    return [
        {
            "id": str(d.pk),
            "created_at": d.created_at.isoformat(),
            "status": d.status,
            "grade": d.grade,
            "label": d.label,
            "score": d.score,
            "confidence": d.confidence,
            "zones": d.zones,
            "failure_reason": d.failure_reason,
            "training_consent": d.training_consent,
            "model": f"{d.model_name} {d.model_version}".strip(),
            "photos": [
                {
                    "slot": p.slot,
                    "status": p.status,
                    "grade": p.grade,
                    "zones": p.zones,
                    "failure_reason": p.failure_reason,
                }
                for p in d.photos.all()
            ],
        }
        for d in checks
    ]


def learnable_photos(*, now: datetime | None = None) -> QuerySet[DiagnosisPhoto]:
    """The photos the shop may learn from now: of finished checks whose owner gave consent to
    learn less than ``DIAGNOSIS_TRAINING_RETENTION_DAYS`` ago and has not withdrawn it, graded
    by the model or withheld with a face found (a photo refused as no face is no one's to
    grade). The labelling queue, each label and the export all go through this one rule."""
    since = (now or timezone.now()) - timedelta(days=settings.DIAGNOSIS_TRAINING_RETENTION_DAYS)
    Photo = DiagnosisPhoto.Status
    read = Q(status=Photo.DONE) | (Q(status=Photo.FAILED) & ~Q(face_box=[]))
    return DiagnosisPhoto.objects.filter(
        read,
        diagnosis__training_consent=True,
        diagnosis__training_consent_at__gte=since,
        diagnosis__status__in=(Diagnosis.Status.DONE, Diagnosis.Status.FAILED),
    )
