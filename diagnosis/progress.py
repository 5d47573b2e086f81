"""Progress between two checks in plain words: per face zone and overall (pure, no Django).

A check's zones are the engine's (``Diagnosis.zones``: {zone, label, severity, slot}, severity
on the grading scale); its labels are the grade names of the scale it was graded on. The words
name a zone's severity by the nearest grade ("moderate → mild"), so they read like the result
page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from diagnosis.ml.zones import LABELS, SLOTS, ZONES

# A change smaller than half a grade is within what the same face photographed twice in other
# light gives, so it reads "about the same" rather than better or worse.
THRESHOLD = 0.5
_EPSILON = 1e-9  # 2.0 → 2.5 is a change of 0.5 however the floats round

BETTER, WORSE, SAME, UNSEEN = "better", "worse", "same", "unseen"


@dataclass(frozen=True)
class ZoneChange:
    zone: str
    label: str
    before: float | None  # severity in the earlier check; None when it did not see the zone
    after: float | None
    verdict: str  # BETTER, WORSE, SAME or UNSEEN

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def _verdict(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return UNSEEN
    delta = after - before
    if abs(delta) + _EPSILON < THRESHOLD:
        return SAME
    return WORSE if delta > 0 else BETTER


def zone_severities(zones: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Each zone's severity by name (a zone listed twice, e.g. by two views, keeps its worst)."""
    found: dict[str, float] = {}
    for zone in zones or ():
        name = zone.get("zone")
        if name and zone.get("severity") is not None:
            found[name] = max(found.get(name, 0.0), float(zone["severity"]))
    return found


def compare_zones(
    before_zones: Iterable[dict[str, Any]], after_zones: Iterable[dict[str, Any]]
) -> list[ZoneChange]:
    """One change per zone seen in either check, in the face's order (forehead to chin)."""
    before, after = zone_severities(before_zones), zone_severities(after_zones)
    names = [z for z in ZONES if z in before or z in after]
    names += sorted((before.keys() | after.keys()) - set(ZONES))  # a zone a newer engine adds
    return [
        ZoneChange(
            zone=name,
            label=LABELS.get(name, name.replace("_", " ")),
            before=before.get(name),
            after=after.get(name),
            verdict=_verdict(before.get(name), after.get(name)),
        )
        for name in names
    ]


def grade_name(severity: float, labels: Sequence[str]) -> str:
    """The scale's name for a severity: the nearest grade's (halves round up)."""
    if not labels:
        return f"{severity:.1f}"
    grade = min(max(int(severity + 0.5), 0), len(labels) - 1)
    return labels[grade]


def _subject(label: str) -> tuple[str, str, str]:
    """("your chin and jaw", "are", "were"): two parts of the face take the plural."""
    plural = " and " in label
    return f"your {label}", "are" if plural else "is", "were" if plural else "was"


def describe_change(change: ZoneChange, labels: Sequence[str]) -> str:
    """One zone's change as a sentence: "Your left cheek is better (moderate → mild)."."""
    subject, is_, was = _subject(change.label)
    subject = subject[0].upper() + subject[1:]
    if change.verdict == UNSEEN:
        which = "earlier" if change.after is None else "later"
        return f"{subject} {was} not seen in both checks (only in the {which} one)."
    before = grade_name(change.before, labels)
    after = grade_name(change.after, labels)
    if change.verdict == SAME:
        return f"{subject} {is_} about the same ({after})."
    if before == after:
        # Half a grade or more, yet within one grade's name: say so instead of "mild → mild".
        return f"{subject} {is_} a little {change.verdict} (still {after})."
    return f"{subject} {is_} {change.verdict} ({before} → {after})."


def describe_changes(changes: Sequence[ZoneChange], labels: Sequence[str]) -> list[str]:
    """Each zone's change as a sentence, in the order of ``changes``."""
    return [describe_change(change, labels) for change in changes]


def describe_overall(
    before_grade: int | None,
    before_score: float | None,
    after_grade: int | None,
    after_score: float | None,
    labels: Sequence[str],
) -> str:
    """The change of the whole check's grade: "Overall your skin is better: grade 3 (moderate)
    then, grade 2 (mild) now." A grade that stays but a score that moves by half a grade or
    more is "a little" better or worse."""
    if before_grade is None or after_grade is None:
        return ""

    def named(grade: int) -> str:
        label = labels[grade] if 0 <= grade < len(labels) else ""
        return f"grade {grade} ({label})" if label else f"grade {grade}"

    if after_grade != before_grade:
        verdict = BETTER if after_grade < before_grade else WORSE
        return (
            f"Overall your skin is {verdict}: {named(before_grade)} then, {named(after_grade)} now."
        )
    if before_score is not None and after_score is not None:
        verdict = _verdict(before_score, after_score)
        if verdict in (BETTER, WORSE):
            return (
                f"Overall your skin is a little {verdict}: still {named(after_grade)}, "
                f"severity score {before_score:.1f} then, {after_score:.1f} now."
            )
    return f"Overall your skin is about the same: {named(after_grade)}."


def choose_slot(
    before_slots: Iterable[str], after_slots: Iterable[str], wanted: str | None = None
) -> tuple[str | None, list[str]]:
    """The view to compare and the views both checks have (in the shop's order): the one
    asked for when both have it, else the front one, else the first in common; None when the
    checks share no view."""
    after = set(after_slots)
    common = [slot for slot in SLOTS if slot in set(before_slots) and slot in after]
    if not common:
        return None, []
    if wanted in common:
        return wanted, common
    return ("front" if "front" in common else common[0]), common


@dataclass(frozen=True)
class Comparison:
    """What the compare page shows of two done checks, the earlier one first."""

    slot: str | None  # the view shown of both; None when they share no graded view
    common: list[str]  # the views both checks have graded, in the shop's order
    photos: tuple[Any, Any]  # the earlier and the later check's photo shown (either may be None)
    changes: list[ZoneChange]
    sentences: list[str]
    overall: str


def compare_checks(
    before: Any, after: Any, before_photos: Sequence[Any], after_photos: Sequence[Any], wanted=None
) -> Comparison:
    """The comparison of two done checks (``Diagnosis``-like: zones, grade, score, scale) from
    their photos (``slot``, ``status``): the same view of both when they have one graded in
    common, else each check's first photo. The words use the later check's scale, the one the
    shop grades on now (as the history's axis)."""
    graded_before = [p for p in before_photos if p.status == "done"]
    graded_after = [p for p in after_photos if p.status == "done"]
    slot, common = choose_slot(
        [p.slot for p in graded_before], [p.slot for p in graded_after], wanted
    )
    if slot is None:
        photos = (
            next(iter(graded_before or before_photos), None),
            next(iter(graded_after or after_photos), None),
        )
    else:
        photos = (
            next(p for p in graded_before if p.slot == slot),
            next(p for p in graded_after if p.slot == slot),
        )
    labels = (after.scale or {}).get("labels") or (before.scale or {}).get("labels") or []
    changes = compare_zones(before.zones, after.zones)
    return Comparison(
        slot=slot,
        common=common,
        photos=photos,
        changes=changes,
        sentences=describe_changes(changes, labels),
        overall=describe_overall(before.grade, before.score, after.grade, after.score, labels),
    )
