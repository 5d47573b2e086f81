"""One grade for a check of up to three photos (slots.SLOTS: front, left, right), and its zones
in words.

The rule: the worst photo decides (its grade, score, confidence and probabilities). Acne is
graded on the most affected side: the Hayashi scale counts lesions on half the face, and GEA
grades the face by its worst area, so a clear front photo must not average away a cheek full of
papules. Only photos the analysis stands behind (``reliable``) take part. On the ACNE04
validation photographs, checks built from real photos (docs/design.md, "Three views") scored
this rule against the mean of the photos' scores and against the photo the model is surest of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .zones import LABELS, ZONES

RULE = "worst_view"
# A zone is named when its severity is at least this share of the worst zone's, and at least
# this high on the scale (below "mild" there is nothing to point at).
NAMED_SHARE = 0.6
NAMED_MIN_SEVERITY = 1.5


@dataclass(frozen=True)
class CombinedResult:
    grade: int
    label: str
    score: float
    confidence: float
    probabilities: list[float]
    slot: str  # the slot of the photo whose grade decided
    rule: str = RULE
    # Per zone over all photos, most affected first: {"zone", "label", "severity", "slot"}
    zones: list[dict[str, Any]] = field(default_factory=list)


def combine_photos(results: Sequence[Any]) -> CombinedResult:
    """The check's result from its reliable photos' AnalysisResults (each with ``slot``)."""
    if not results:
        raise ValueError("a check needs at least one analysed photo")
    worst = max(results, key=lambda r: (r.grade, r.score))
    return CombinedResult(
        grade=int(worst.grade),
        label=worst.label,
        score=float(worst.score),
        confidence=float(worst.confidence),
        probabilities=list(worst.probabilities),
        slot=worst.slot,
        zones=combine_zones(results),
    )


def combine_zones(results: Sequence[Any]) -> list[dict[str, Any]]:
    """Each zone's worst severity over the photos that see it, most affected first."""
    best: dict[str, dict[str, Any]] = {}
    for result in results:
        for zone in result.zones:
            seen = best.get(zone["zone"])
            if seen is None or zone["severity"] > seen["severity"]:
                best[zone["zone"]] = {
                    "zone": zone["zone"],
                    "label": LABELS[zone["zone"]],
                    "severity": float(zone["severity"]),
                    "slot": result.slot,
                }
    return sorted(best.values(), key=lambda z: (-z["severity"], ZONES.index(z["zone"])))


def named_zones(zones: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The zones worth naming: the worst one and those close to it, if any is marked."""
    if not zones or zones[0]["severity"] < NAMED_MIN_SEVERITY:
        return []
    top = zones[0]["severity"]
    return [z for z in zones if z["severity"] >= max(NAMED_SHARE * top, NAMED_MIN_SEVERITY)]


def describe_zones(zones: Sequence[dict[str, Any]]) -> str:
    """Plain words for the page: "Most signs are on the left cheek and the chin and jaw."
    ('' when no zone stands out)."""
    named = [f"the {z['label']}" for z in named_zones(zones)]
    if not named:
        return ""
    if len(named) == 1:
        where = named[0]
    else:
        where = ", ".join(named[:-1]) + " and " + named[-1]
    return f"Most signs are on {where}."
