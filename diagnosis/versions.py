"""Model versions: registering a checkpoint, judging it on held-out photos, making it the model
in use (and back), running a candidate in shadow.

A version moves:

- (new) -> candidate: ``register_version`` (``manage.py register_model``);
- any -> active: ``promote`` (``manage.py promote_model``, the admin action); the version active
  until then becomes retired. A rollback is the same move on the previous version;
- candidate or retired -> shadow: ``run_in_shadow`` (one shadow at a time); shadow ->
  candidate: ``stop_shadow``, or another version taking the shadow's place.

Workers read the active version once per task (``model_in_use``: one small query) and load its
file on first use; Analyzer.load keeps a few loaded models per process, so switching back and
forth costs nothing after the first time. One check is analysed by one loaded model from start
to end: the task takes it before it starts and hands it to the pipeline.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from diagnosis.models import Diagnosis, ModelVersion, ShadowResult
from skinshop.errors import ApplicationError

logger = logging.getLogger(__name__)

Status = ModelVersion.Status
PROMOTE_PERMISSION = "diagnosis.promote_modelversion"


class VersionRefused(ApplicationError):
    code = "model_version_refused"


# --- Registration and evaluation ------------------------------------------------------------
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_safe(value: Any) -> Any:
    """``value`` as JSON can hold it: a build writes NaN where a figure is undefined (no photo
    answered at a confidence threshold), which JSON, and PostgreSQL's jsonb, refuse; None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def register_version(path: str | Path, *, card: str = "") -> ModelVersion:
    """Stores a checkpoint as a candidate version, with what its metadata says of it.
    CheckpointError when the file is not a readable model; VersionRefused when that very file
    is registered already."""
    from diagnosis.ml.checkpoint import commercial_use, load_checkpoint

    path = Path(path)
    # The whole file, weights too: a version that could not be loaded is refused now.
    _, meta = load_checkpoint(path)
    sha256 = file_sha256(path)
    existing = ModelVersion.objects.filter(sha256=sha256).first()
    if existing is not None:
        raise VersionRefused(f"This checkpoint is registered already, as version {existing.pk}.")
    version = ModelVersion(
        sha256=sha256,
        name=str(meta.get("name", "unnamed")),
        version=str(meta.get("version", "0")),
        meta=json_safe(meta),
        terms=[
            {k: source.get(k) for k in ("name", "licence", "commercial_use")}
            for source in meta.get("training_data") or []
        ],
        commercial_use=commercial_use(meta),
        card=card,
    )
    with open(path, "rb") as handle:
        version.checkpoint.save("model.pt", File(handle), save=False)
    try:
        version.save()
    except Exception:
        version.checkpoint.storage.delete(version.checkpoint.name)  # no file without its row
        raise
    return version


def referral_grade() -> int:
    """The grade from which the shop sends a shopper to a dermatologist (the condition's
    referral rule; the routine's default without one)."""
    from recommendations.selectors import condition_default
    from recommendations.services.routine import DEFAULT_REFER_FROM_GRADE

    condition = condition_default()
    if condition is not None and condition.refer_from_grade is not None:
        return condition.refer_from_grade
    return DEFAULT_REFER_FROM_GRADE


def evaluate_version(version: ModelVersion, items, *, heldout: str) -> ModelVersion:
    """Grades ``items`` ((photo bytes, grade[, skin tone]); see diagnosis.evaluation) with the
    version and keeps the figures; ``heldout`` names the set (its fingerprint), so that only
    figures on the same photos are set side by side."""
    from diagnosis.evaluation import evaluate

    figures = evaluate(analyzer_for(version), items, referral_grade=referral_grade())
    version.evaluation = {**figures, "heldout": heldout}
    version.evaluated_at = timezone.now()
    version.save(update_fields=["evaluation", "evaluated_at"])
    return version


# --- The model in use -----------------------------------------------------------------------
def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=Status.ACTIVE).first()


def local_checkpoint(version: ModelVersion) -> Path:
    """A file on this host holding the version's checkpoint: the stored file itself on a local
    storage, else a copy kept under VAR_DIR/models (checked against its hash)."""
    try:
        return Path(version.checkpoint.path)
    except NotImplementedError:  # a remote storage (S3): no local path
        pass
    local = Path(settings.VAR_DIR) / "models" / f"{version.sha256}.pt"
    if local.is_file():
        return local
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(f"{local.name}.{time.monotonic_ns()}.part")
    with version.checkpoint.open("rb") as source, open(partial, "wb") as target:
        shutil.copyfileobj(source, target)
    if file_sha256(partial) != version.sha256:
        partial.unlink()
        raise VersionRefused(f"The stored file of model version {version.pk} is damaged.")
    partial.replace(local)
    return local


def analyzer_for(version: ModelVersion):
    from diagnosis.ml.inference import Analyzer

    return Analyzer.load(local_checkpoint(version))


def model_in_use():
    """(the active version or None, its loaded Analyzer) for one task: the active version when
    one is set, else the configured model file (DIAGNOSIS_CHECKPOINT / DIAGNOSIS_MODEL)."""
    from diagnosis import services
    from diagnosis.ml.inference import Analyzer

    # What loading needs, not the metadata: this runs before every check.
    version = (
        ModelVersion.objects.filter(status=Status.ACTIVE)
        .only("pk", "sha256", "checkpoint", "name", "version", "status")
        .first()
    )
    if version is None:
        return None, Analyzer.load(services.checkpoint_path())
    return version, analyzer_for(version)


def terms_in_use() -> tuple[str, dict[str, Any]]:
    """(a name for it, the metadata) of the model the workers use: the active version's as
    registered, else the configured file's (CheckpointError when it cannot be read). Before
    the tables exist (a first migrate), the configured file's."""
    from django.db import DatabaseError

    from diagnosis import services
    from diagnosis.ml.checkpoint import read_meta

    try:
        version = active_version()
    except DatabaseError:
        version = None
    if version is not None:
        return f"model version {version.pk} ({version.name} {version.version})", version.meta
    path = services.checkpoint_path()
    return path.name, read_meta(path)


# --- Promotion and shadow -------------------------------------------------------------------
def promote(version: ModelVersion, *, by=None) -> ModelVersion:
    """Makes ``version`` the model the workers use from their next task; the one in use until
    now is retired. Production refuses a model not cleared for commercial use (as its system
    check does), unless DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL says this is a research shop."""
    if (
        not version.commercial_use
        and settings.IS_PRODUCTION
        and not settings.DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL
    ):
        raise VersionRefused(
            f"Model version {version.pk} learned from data not cleared for commercial use: "
            "production does not run it."
        )
    with transaction.atomic():
        # Locked in one order, so two promotions at once run one after the other.
        list(ModelVersion.objects.select_for_update().filter(status=Status.ACTIVE))
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if version.status == Status.ACTIVE:
            return version
        ModelVersion.objects.filter(status=Status.ACTIVE).update(status=Status.RETIRED)
        version.status = Status.ACTIVE
        version.promoted_at = timezone.now()
        version.promoted_by = by if by is not None and by.is_authenticated else None
        version.save(update_fields=["status", "promoted_at", "promoted_by"])
    logger.info("Model version %s is now in use", version)
    return version


def previous_version() -> ModelVersion | None:
    """The version in use before the active one (the target of a rollback)."""
    return (
        ModelVersion.objects.filter(status=Status.RETIRED, promoted_at__isnull=False)
        .order_by("-promoted_at")
        .first()
    )


def run_in_shadow(version: ModelVersion) -> ModelVersion:
    """The version grades every new eligible check beside the active model, for comparison."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if version.status == Status.ACTIVE:
            raise VersionRefused("The model in use cannot also run in shadow.")
        ModelVersion.objects.filter(status=Status.SHADOW).exclude(pk=version.pk).update(
            status=Status.CANDIDATE
        )
        version.status = Status.SHADOW
        version.save(update_fields=["status"])
    return version


def stop_shadow(version: ModelVersion) -> ModelVersion:
    ModelVersion.objects.filter(pk=version.pk, status=Status.SHADOW).update(
        status=Status.CANDIDATE
    )
    version.refresh_from_db(fields=["status"])
    return version


def shadow_eligible(diagnosis: Diagnosis) -> bool:
    """Whether a version in shadow may grade this check: only when its owner let the shop learn
    from its photos (consent to learn), as judging a candidate is improving the analysis."""
    return diagnosis.training_consent


def run_shadow(diagnosis: Diagnosis) -> ShadowResult | None:
    """Grades a finished check with the version in shadow, if there is one and the check may be
    used; never raises (the shopper's result is already saved and must not depend on this)."""
    try:
        version = ModelVersion.objects.filter(status=Status.SHADOW).first()
        if version is None or diagnosis.status != Diagnosis.Status.DONE:
            return None
        if not shadow_eligible(diagnosis):
            return None
        return _shadow(diagnosis, version)
    except Exception:
        logger.exception("The shadow analysis of %s failed", diagnosis.pk)
        return None


def _shadow(diagnosis: Diagnosis, version: ModelVersion) -> ShadowResult:
    from diagnosis.ml.combine import combine_photos

    analyzer = analyzer_for(version)
    views = []
    for photo in diagnosis.photos.order_by("slot"):
        with photo.selfie.open("rb") as handle:
            views.append((photo.slot, handle.read()))
    start = time.perf_counter()
    outcomes = analyzer.analyze_photos(views, explain=False)
    seconds = time.perf_counter() - start
    graded = [o.result for o in outcomes if o.error is None and o.result.reliable]
    combined = combine_photos(graded) if graded else None
    per_photo = [
        {
            "slot": o.slot,
            "grade": o.result.grade if o.error is None and o.result.reliable else None,
            "failure_code": _shadow_code(o),
        }
        for o in outcomes
    ]
    result, _ = ShadowResult.objects.update_or_create(
        diagnosis=diagnosis,
        model_release=version,
        defaults={
            "grade": combined.grade if combined else None,
            "probabilities": [round(float(p), 4) for p in combined.probabilities]
            if combined
            else [],
            "confidence": round(float(combined.confidence), 4) if combined else None,
            "failure_code": "" if combined else "no_usable_photo",
            "photos": per_photo,
            "seconds": round(seconds, 4),
        },
    )
    return result


def _shadow_code(outcome) -> str:
    if outcome.error is not None:
        return outcome.error.code
    return "" if outcome.result.reliable else outcome.result.abstain.get("code", "withheld")
