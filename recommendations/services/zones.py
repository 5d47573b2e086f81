"""Zone findings in, zone rules out: which staff ``ZoneRule`` products a skin check's zones add
to a routine, and the sentence that tells the shopper why.

Zone findings come from the skin check (``[{"zone": "chin", "severity": 3.4, ...}, ...]``; other
keys are ignored) or from the API's query (``"chin:3.4,nose:1"``). Severities are on the
condition's grading scale, like grades, but need not be whole numbers.
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from numbers import Real

from recommendations import selectors
from recommendations.models import SkinCondition, TreatmentPlan, Zone, ZoneRule
from recommendations.services.values import ZoneFinding
from skinshop.errors import ApplicationError

ZONE_PLACEHOLDER = "{zone}"


def parse_zones(text: str) -> list[dict]:
    """``"chin:3.4,nose:1"`` as ``[{"zone": "chin", "severity": 3.4}, ...]``; "" is none.

    Raises ``ValueError`` naming the first bad part: an unknown zone, a severity that is not
    a non-negative number, or a zone given twice.
    """
    findings: list[dict] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        zone, sep, severity = part.partition(":")
        if not sep or zone not in Zone.values:
            raise ValueError(
                f"{part!r} is not zone:severity with a zone of {', '.join(Zone.values)}."
            )
        try:
            value = float(severity)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{part!r}: the severity must be a number from 0 up.")
        if any(f["zone"] == zone for f in findings):
            raise ValueError(f"{zone!r} is given twice.")
        findings.append({"zone": zone, "severity": value})
    return findings


def _finding(item: Mapping, top: int) -> ZoneFinding:
    zone, severity = item.get("zone"), item.get("severity")
    if zone not in Zone.values:
        raise ApplicationError(f"Unknown face zone {zone!r}.", code="invalid_zones")
    if not isinstance(severity, Real) or isinstance(severity, bool) or not 0 <= severity <= top:
        raise ApplicationError(
            f"The severity of the {Zone(zone).label} runs from 0 to {top}; {severity!r} is not.",
            code="invalid_zones",
        )
    return ZoneFinding(zone=zone, severity=float(severity))


def zone_findings(zones: Sequence[Mapping], *, condition: SkinCondition) -> tuple[ZoneFinding, ...]:
    """The checked findings, one per zone (the worst where a zone comes twice, as from two
    views), most affected first. Raises ``ApplicationError`` for an unknown zone or a severity
    outside the condition's scale."""
    worst: dict[str, ZoneFinding] = {}
    for item in zones:
        finding = _finding(item, condition.max_grade)
        if finding.zone not in worst or finding.severity > worst[finding.zone].severity:
            worst[finding.zone] = finding
    # Zone order breaks ties so the same findings always give the same routine.
    return tuple(sorted(worst.values(), key=lambda f: (-f.severity, Zone.values.index(f.zone))))


def _answered(rule: ZoneRule, findings: Sequence[ZoneFinding]) -> ZoneFinding | None:
    """The finding ``rule`` answers, if it applies: its zone's (a rule for any zone: the most
    affected zone's) at ``min_severity`` or worse, and, for a single-zone rule, the only one."""
    inflamed = [f for f in findings if f.severity >= rule.min_severity]
    if not inflamed or (rule.only_when_single_zone and len(inflamed) > 1):
        return None
    if not rule.zone:
        return inflamed[0]
    return next((f for f in inflamed if f.zone == rule.zone), None)


def zone_additions(
    *,
    condition: SkinCondition,
    findings: Sequence[ZoneFinding],
    on: date,
    grade: int,
    excluded: Collection[int] = (),
) -> list[tuple[ZoneRule, ZoneFinding]]:
    """The zone rules offered on ``on`` for a routine of ``grade`` that ``findings`` call for,
    with the finding each answers: the most affected zone's first, then by priority (then the
    older rule). A rule whose product is in ``excluded`` (the plan's exclusions) adds nothing."""
    if not findings:
        return []
    zones = ["", *(f.zone for f in findings)]
    rules = selectors.zone_rules_offered(condition=condition, zones=zones, on=on, grade=grade)
    found = [(rule, _answered(rule, findings)) for rule in rules if rule.product_id not in excluded]
    found = [(rule, finding) for rule, finding in found if finding is not None]
    return sorted(found, key=lambda rf: (findings.index(rf[1]), -rf[0].priority, rf[0].pk))


@dataclass(frozen=True)
class ZoneRulePreview:
    """A zone rule as the admin's per-grade preview shows it: what it may add to that grade's
    routine, or why the routine's plan keeps it out."""

    rule: ZoneRule
    blocked_by: str = ""


def zone_rules_preview(
    *, condition: SkinCondition, grade: int, plan: TreatmentPlan | None, on: date
) -> list[ZoneRulePreview]:
    """Every zone rule offered for ``grade`` on ``on``, by zone, each with why ``plan`` (the
    grade's routine's; None for the default routine) blocks it, if it does."""
    excluded = selectors.plan_exclusions(plan=plan) if plan is not None else {}
    rules = selectors.zone_rules_offered(condition=condition, on=on, grade=grade)
    return [ZoneRulePreview(rule, excluded.get(rule.product_id, "")) for rule in rules]


def zone_why(rule: ZoneRule, finding: ZoneFinding) -> str:
    """What the shopper reads beside a zone rule's product: its ``why`` with the zone named,
    else "For your chin and jaw, where your acne vulgaris is moderate or worse." """
    label = finding.label
    if rule.why:
        # Not str.format: staff text may hold other braces, which must stay as they are.
        return rule.why.replace(ZONE_PLACEHOLDER, label)
    condition = rule.condition
    severity = condition.grade_label(rule.min_severity)
    return f"For your {label}, where your {condition.name.lower()} is {severity} or worse."
