"""A model's figures on labelled photos it never learned from: what staff compare before they
promote a version. No Django here: ``evaluate`` takes any (photo bytes, grade[, skin tone])
items, from the held-out folder of an export (``read_heldout``) or straight from the shop's
labels.

The figures are over the photos the model graded (its withheld and refused photos count in
``coverage`` and ``withheld``): accuracy, mean absolute error, Spearman's rank correlation,
recall per grade, the referral sensitivity (of the photos graded at or above the referral
grade, the share the model also referred), the same per skin tone where the labels name it,
and the seconds per photo over all of them.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

HELDOUT_SPLIT = "test"


class HeldOutPhoto(NamedTuple):
    photo: bytes
    grade: int
    skin_tone: str = ""  # "" when the labels do not say


class HeldOutError(ValueError):
    """The held-out folder cannot be read as an export (missing manifest, photo or column)."""


def read_heldout(folder: str | Path) -> tuple[list[HeldOutPhoto], str]:
    """The "test" rows of an export folder (``manifest.csv``: path,split,grade,...; photos at
    their path under the folder), and a fingerprint of them: two evaluations on the same
    photos and grades carry the same one, so figures are only compared like with like."""
    folder = Path(folder)
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        raise HeldOutError(f"{folder} holds no manifest.csv: not an export folder.")
    with manifest.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "split", "grade"} - set(reader.fieldnames or [])
        if missing:
            raise HeldOutError(f"{manifest} lacks the columns {', '.join(sorted(missing))}.")
        rows = [row for row in reader if row["split"] == HELDOUT_SPLIT]
    if not rows:
        raise HeldOutError(f"{manifest} has no {HELDOUT_SPLIT!r} photos to evaluate on.")
    items, digest = [], hashlib.sha256()
    for row in sorted(rows, key=lambda r: r["path"]):
        path = (folder / row["path"]).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise HeldOutError(f"{row['path']} (in {manifest}) is not a photo of the folder.")
        try:
            grade = int(row["grade"])
        except ValueError:
            raise HeldOutError(f"{row['path']} has no grade ({row['grade']!r}).") from None
        content = path.read_bytes()
        digest.update(hashlib.sha256(content).digest() + str(grade).encode())
        items.append(HeldOutPhoto(content, grade, (row.get("skin_tone") or "").strip()))
    return items, digest.hexdigest()[:16]


def evaluate(
    analyzer, items: Iterable[tuple], *, referral_grade: int, num_grades: int | None = None
) -> dict[str, Any]:
    """Grades each photo with ``analyzer`` (a loaded diagnosis.ml Analyzer; no heatmap) and
    returns the figures (JSON-able). ``items``: (photo bytes, grade) or (bytes, grade, tone)."""
    from diagnosis.ml.errors import AnalysisError

    truth, predicted, tones = [], [], []
    withheld: Counter[str] = Counter()
    start = time.perf_counter()
    count = 0
    for photo, grade, *rest in items:
        count += 1
        try:
            result = analyzer.analyze(photo, explain=False)
        except AnalysisError as error:
            withheld[error.code] += 1
            continue
        if not result.reliable:
            withheld[result.abstain.get("code", "withheld")] += 1
            continue
        truth.append(int(grade))
        predicted.append(int(result.grade))
        tones.append(rest[0] if rest else "")
    seconds = time.perf_counter() - start
    if count == 0:
        raise HeldOutError("No photo to evaluate on.")
    grades = num_grades or analyzer.scale.num_grades
    figures = {
        "photos": count,
        "graded": len(truth),
        "coverage": round(len(truth) / count, 4),
        "withheld": dict(sorted(withheld.items())),
        "seconds_per_photo": round(seconds / count, 4),
        "referral_grade": referral_grade,
        **_agreement(truth, predicted, grades, referral_grade),
    }
    by_tone = defaultdict(list)
    for t, p, tone in zip(truth, predicted, tones, strict=True):
        if tone:
            by_tone[tone].append((t, p))
    figures["per_skin_tone"] = {
        tone: _agreement([t for t, _ in pairs], [p for _, p in pairs], grades, referral_grade)
        for tone, pairs in sorted(by_tone.items())
    }
    return figures


def _agreement(
    truth: list[int], predicted: list[int], num_grades: int, referral_grade: int
) -> dict[str, Any]:
    if not truth:
        return {"n": 0, "accuracy": None, "mae": None, "spearman": None,
                "recall_per_grade": {}, "referral_sensitivity": None}  # fmt: skip
    t, p = np.asarray(truth), np.asarray(predicted)
    recall = {
        str(g): round(float(np.mean(p[t == g] == g)), 4)
        for g in range(num_grades)
        if (t == g).any()
    }
    referred = t >= referral_grade
    return {
        "n": len(truth),
        "accuracy": round(float(np.mean(t == p)), 4),
        "mae": round(float(np.mean(np.abs(t - p))), 4),
        "spearman": spearman(t, p),
        "recall_per_grade": recall,
        "referral_sensitivity": (
            round(float(np.mean(p[referred] >= referral_grade)), 4) if referred.any() else None
        ),
    }


def spearman(a, b) -> float | None:
    """Spearman's rank correlation (ties share their mean rank); None when either side is
    constant, where it is not defined."""
    ra, rb = _ranks(np.asarray(a, float)), _ranks(np.asarray(b, float))
    if len(ra) < 2 or ra.std() == 0 or rb.std() == 0:
        return None
    return round(float(np.corrcoef(ra, rb)[0, 1]), 4)


def _ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks
