"""Reads for staff: the shop's analysis at a glance (checks per day, why checks and photos were
refused or withheld, upload-to-result times, grades, the model in use, labels), and a candidate
model's figures beside the model in use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.module_loading import import_string

from diagnosis.models import Diagnosis, DiagnosisPhoto, ModelVersion, ShadowResult

Status = Diagnosis.Status
# Photo codes for a grade the model withheld (it was unsure, or the photo was unlike its
# training photos), as opposed to a photo it refused outright (no face, too dark...).
ABSTENTION_CODES = ("uncertain_grade", "unfamiliar_photo")


@dataclass
class Overview:
    days: int
    per_day: list[dict[str, Any]]
    check_failures: list[dict[str, Any]]  # {"code", "count"} of failed checks
    photo_refusals: list[dict[str, Any]]  # {"code", "count", "withheld"} of failed photos
    wait_p50: float | None  # seconds from upload to result, done checks
    wait_p90: float | None
    grades: list[dict[str, Any]]  # {"grade", "label", "count", "share"}
    model: dict[str, Any] = field(default_factory=dict)
    labelling: dict[str, Any] | None = None


def overview(*, days: int = 14, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    checks = Diagnosis.objects.filter(created_at__gte=now - timedelta(days=days))
    per_day = list(
        checks.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=Status.DONE)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
        )
        .order_by("-day")
    )
    failures = list(
        checks.filter(status=Status.FAILED)
        .values(code=F("failure_code"))
        .annotate(count=Count("pk"))
        .order_by("-count", "code")
    )
    refusals = [
        {**row, "withheld": row["code"] in ABSTENTION_CODES}
        for row in DiagnosisPhoto.objects.filter(
            diagnosis__in=checks, status=DiagnosisPhoto.Status.FAILED
        )
        .values(code=F("failure_code"))
        .annotate(count=Count("pk"))
        .order_by("-count", "code")
    ]
    waits = [
        (finished - created).total_seconds()
        for created, finished in checks.filter(
            status=Status.DONE, finished_at__isnull=False
        ).values_list("created_at", "finished_at")
    ]
    p50 = p90 = None
    if waits:
        p50, p90 = (round(float(v), 1) for v in np.percentile(waits, [50, 90]))
    return Overview(
        days=days,
        per_day=per_day,
        check_failures=failures,
        photo_refusals=refusals,
        wait_p50=p50,
        wait_p90=p90,
        grades=_grades(checks),
        model=model_in_use(),
        labelling=labelling_summary(),
    )


def _grades(checks) -> list[dict[str, Any]]:
    rows = list(
        checks.filter(status=Status.DONE)
        .values("grade")
        .annotate(count=Count("pk"), label=Max("label"))
        .order_by("grade")
    )
    total = sum(row["count"] for row in rows)
    return [{**row, "share": round(100 * row["count"] / total)} for row in rows]


def model_in_use() -> dict[str, Any]:
    """The model the workers use now, with the data it learned from and their terms."""
    from diagnosis import versions
    from diagnosis.ml.checkpoint import commercial_use
    from diagnosis.ml.errors import CheckpointError

    active = versions.active_version()
    try:
        name, meta = versions.terms_in_use()
    except CheckpointError as exc:
        return {"name": "unreadable", "error": exc.message, "terms": [], "version": active}
    return {
        "name": name,
        "version": active,
        "terms": meta.get("training_data") or [],
        "commercial_use": commercial_use(meta),
    }


def labelling_summary() -> dict[str, Any] | None:
    """Labels collected and the dermatologists' agreement, from the app that keeps them
    (``DIAGNOSIS_LABELLING_SUMMARY``: labelling imports diagnosis, never the other way); None
    where none is named."""
    path = settings.DIAGNOSIS_LABELLING_SUMMARY
    return import_string(path)() if path else None


# --- A candidate beside the model in use -----------------------------------------------------
FIGURES = [
    ("accuracy", "Accuracy", True),
    ("mae", "Mean absolute error (grades)", False),
    ("spearman", "Spearman", True),
    ("referral_sensitivity", "Referral sensitivity", True),
    ("coverage", "Share of photos graded", True),
    ("seconds_per_photo", "Seconds a photo", False),
]


def comparison(version: ModelVersion) -> dict[str, Any]:
    """The version's figures row by row beside the active version's (when it is another one,
    and judged on the same held-out photos), with which is better on each."""
    from diagnosis import versions

    active = versions.active_version()
    other = active if active is not None and active.pk != version.pk else None
    mine, theirs = version.evaluation or {}, (other.evaluation if other else {}) or {}
    same_photos = bool(mine and theirs and mine.get("heldout") == theirs.get("heldout"))
    if not same_photos:
        theirs = {}
    rows = [_row(label, mine.get(key), theirs.get(key), higher) for key, label, higher in FIGURES]
    for grade in sorted({*mine.get("recall_per_grade", {}), *theirs.get("recall_per_grade", {})}):
        rows.append(
            _row(
                f"Recall of grade {grade}",
                mine.get("recall_per_grade", {}).get(grade),
                theirs.get("recall_per_grade", {}).get(grade),
                True,
            )
        )
    tones = sorted({*mine.get("per_skin_tone", {}), *theirs.get("per_skin_tone", {})})
    for tone in tones:
        for key, label in (("accuracy", "accuracy"), ("mae", "MAE")):
            rows.append(
                _row(
                    f"Skin tone {tone}: {label}",
                    mine.get("per_skin_tone", {}).get(tone, {}).get(key),
                    theirs.get("per_skin_tone", {}).get(tone, {}).get(key),
                    key == "accuracy",
                )
            )
    return {
        "version": version,
        "other": other,
        "same_photos": same_photos,
        "photos": mine.get("photos"),
        "rows": rows,
        "shadow": shadow_agreement(version),
    }


def _row(label: str, mine, theirs, higher_is_better: bool) -> dict[str, Any]:
    better = None
    if mine is not None and theirs is not None and mine != theirs:
        better = (mine > theirs) == higher_is_better
    return {"label": label, "mine": mine, "theirs": theirs, "better": better}


def shadow_agreement(version: ModelVersion) -> dict[str, Any] | None:
    """How the version's shadow grades compare with the grades shoppers were given."""
    pairs = list(
        ShadowResult.objects.filter(
            model_release=version, grade__isnull=False, diagnosis__grade__isnull=False
        ).values_list("grade", "diagnosis__grade")
    )
    total = ShadowResult.objects.filter(model_release=version).count()
    if not total:
        return None
    return {
        "checks": total,
        "graded": len(pairs),
        "same": sum(a == b for a, b in pairs),
        "within_one": sum(abs(a - b) <= 1 for a, b in pairs),
    }
