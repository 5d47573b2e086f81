"""What a grade gets.

``recommend`` answers for every grade of a condition's scale: the winning rule's plan and
products, or a default routine of basic care when no rule matches, then the products that zone
rules add for a skin check's zone findings. Every line says why it is there. Out-of-stock
products are swapped for an in-stock product of the same role, or the line is marked
unavailable.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from django.utils import timezone

from catalog.models import Product, ProductRole
from catalog.selectors import product_list
from recommendations import selectors
from recommendations.models import (
    RecommendationRule,
    SkinCondition,
    SkinType,
    TreatmentPlan,
    UsageTime,
    WarningLevel,
    ZoneRule,
)
from recommendations.services.values import (
    Recommendation,
    RecommendationLine,
    RoutinePlan,
    RoutineStep,
    RoutineWarning,
    ZoneFinding,
)
from recommendations.services.zones import zone_additions, zone_findings, zone_why
from skinshop.errors import ApplicationError, NotFound

# Basic care every skin tolerates, for grades no active rule covers.
DEFAULT_ROLES: tuple[str, ...] = (
    ProductRole.CLEANSER,
    ProductRole.MOISTURIZER,
    ProductRole.SUNSCREEN,
)
DEFAULT_USE: dict[str, tuple[str, str]] = {
    ProductRole.CLEANSER: (UsageTime.BOTH, "Wash with lukewarm water, pat dry."),
    ProductRole.MOISTURIZER: (UsageTime.BOTH, "A pea-sized amount on the whole face."),
    ProductRole.SUNSCREEN: (UsageTime.MORNING, "Last step of the morning; two finger lengths."),
}
DEFAULT_PLAN = RoutinePlan(
    name="Basic gentle routine",
    summary="Cleanse, moisturise and protect from the sun: the base every acne routine builds on.",
    duration_weeks=8,
    steps=(
        RoutineStep(UsageTime.BOTH, "Cleanse", "Wash with a gentle cleanser; do not scrub."),
        RoutineStep(UsageTime.BOTH, "Moisturise", "Apply a light, non-comedogenic moisturiser."),
        RoutineStep(UsageTime.MORNING, "Protect", "Finish with a broad-spectrum sunscreen."),
    ),
    warnings=(
        RoutineWarning(
            WarningLevel.CAUTION,
            "If spots persist after 8 weeks, ask a pharmacist or doctor about a treatment.",
        ),
    ),
)
REFERRAL_WARNING = RoutineWarning(
    WarningLevel.SEE_DOCTOR,
    "Acne of this grade can scar and usually needs prescription treatment: "
    "please see a dermatologist.",
)


def _routine_plan(plan: TreatmentPlan) -> RoutinePlan:
    return RoutinePlan(
        name=plan.name,
        summary=plan.summary,
        duration_weeks=plan.duration_weeks,
        steps=tuple(
            RoutineStep(s.timing, s.title, s.instructions, s.from_week) for s in plan.steps.all()
        ),
        warnings=tuple(RoutineWarning(w.level, w.text) for w in plan.warnings.all()),
    )


# Without a routine to say otherwise, shoppers are referred from GEA 4 ("severe") up.
DEFAULT_REFER_FROM_GRADE = 4


def refers_to_dermatologist(*, grade: int | None, recommendation: Recommendation | None) -> bool:
    """The one "see a dermatologist" rule, for the result page and the API alike: what the
    routine for the grade says (its plan's warnings, which hold the condition's referral from
    its grade up); with no routine, from DEFAULT_REFER_FROM_GRADE up."""
    if grade is None:
        return False
    if recommendation is not None:
        return recommendation.refer_to_dermatologist
    return grade >= DEFAULT_REFER_FROM_GRADE


def _with_referral(plan: RoutinePlan, *, condition: SkinCondition, grade: int) -> RoutinePlan:
    """The condition's referral rule decides who is sent to a doctor: from its referral grade
    up, every plan tells the shopper to see one; below it, a plan's "see a doctor" warning is
    conditional advice ("if there is no improvement after 12 weeks"), never the referral."""
    refer = condition.refer_from_grade is not None and grade >= condition.refer_from_grade
    if not refer:
        warnings = tuple(
            replace(w, conditional=True) if w.level == WarningLevel.SEE_DOCTOR else w
            for w in plan.warnings
        )
        return replace(plan, warnings=warnings)
    if any(w.level == WarningLevel.SEE_DOCTOR for w in plan.warnings):
        return plan
    return replace(plan, warnings=(REFERRAL_WARNING, *plan.warnings))


def _replacement(
    *, role: str, quantity: int, like: Product | None, exclude: set[int]
) -> Product | None:
    """The in-stock active product of ``role`` closest to ``like``.

    Closest: most key ingredients in common, then nearest price, then name, so the same
    catalog always gives the same replacement.
    """
    candidates = (
        product_list()
        .filter(role=role, available__gte=quantity)
        .exclude(pk__in=exclude)
        .prefetch_related("key_ingredients")
    )
    if like is None:
        return candidates.order_by("price", "name", "id").first()
    wanted = {i.pk for i in like.key_ingredients.all()}

    def closeness(product: Product) -> tuple:
        shared = len(wanted & {i.pk for i in product.key_ingredients.all()})
        return (-shared, abs(product.price - like.price), product.name, product.pk)

    return min(candidates, key=closeness, default=None)


@dataclass(frozen=True)
class _Wanted:
    """A product a rule names, before stock decides what the shopper is shown."""

    product: Product
    role: str
    quantity: int
    when: str
    how_to_use: str
    why: str
    zone_rule: ZoneRule | None = None


def routine_why(*, own: str, condition: SkinCondition, grade: int) -> str:
    """The one rule for why a product of the routine is there: the item's own reason, else
    "Part of your routine for moderate acne vulgaris." (the shopper's grade). The scale's
    first grade is skin without the condition: "clear acne vulgaris" would say the opposite."""
    if own:
        return own
    if grade == 0:
        return "Part of your routine to keep your skin clear."
    return f"Part of your routine for {condition.grade_label(grade)} {condition.name.lower()}."


def _stocked_lines(wanted: list[_Wanted], *, taken: set[int]) -> list[RecommendationLine]:
    """Lines for ``wanted``: each product as named while stock allows, else the closest
    in-stock product of its role that no other line names (``taken``, which grows), else the
    product marked unavailable."""
    if not wanted:
        return []
    # Availability comes from the catalog's selector; inactive products are simply absent.
    sellable = {p.pk: p for p in product_list().filter(pk__in=[w.product.pk for w in wanted])}
    taken |= {w.product.pk for w in wanted}
    lines = []
    for w in wanted:
        product = sellable.get(w.product.pk)
        if product is not None and product.available >= w.quantity:
            lines.append(
                RecommendationLine(
                    product,
                    w.role,
                    w.quantity,
                    w.when,
                    w.how_to_use,
                    True,
                    why=w.why,
                    zone_rule=w.zone_rule,
                )
            )
            continue
        original = product or w.product
        if product is None:
            original.available = 0
        replacement = _replacement(role=w.role, quantity=w.quantity, like=w.product, exclude=taken)
        if replacement is not None:
            taken.add(replacement.pk)
        lines.append(
            RecommendationLine(
                product=replacement or original,
                role=w.role,
                quantity=w.quantity,
                when=w.when,
                how_to_use=w.how_to_use,
                in_stock=replacement is not None,
                substitute_for=original if replacement is not None else None,
                why=w.why,
                zone_rule=w.zone_rule,
            )
        )
    return lines


def _rule_wanted(rule: RecommendationRule, *, grade: int) -> list[_Wanted]:
    items = rule.items.select_related("product").prefetch_related("product__key_ingredients")
    return [
        _Wanted(
            product=item.product,
            role=item.role or item.product.role,
            quantity=item.quantity,
            when=item.when,
            how_to_use=item.how_to_use,
            why=routine_why(own=item.why, condition=rule.condition, grade=grade),
        )
        for item in items
    ]


def _zone_wanted(additions: list[tuple[ZoneRule, ZoneFinding]]) -> list[_Wanted]:
    return [
        _Wanted(
            rule.product,
            rule.product.role,
            rule.quantity,
            rule.when,
            rule.how_to_use,
            zone_why(rule, finding),
            zone_rule=rule,
        )
        for rule, finding in additions
    ]


def _default_lines(why: str) -> list[RecommendationLine]:
    lines = []
    for role in DEFAULT_ROLES:
        product = _replacement(role=role, quantity=1, like=None, exclude=set())
        if product is None:
            continue  # the shop sells none of this role right now; the plan still says it
        when, how = DEFAULT_USE[role]
        lines.append(RecommendationLine(product, role, 1, when, how, True, why=why))
    return lines


def _names(line: RecommendationLine) -> set[int]:
    """The products a line stands for: what it shows and what it replaces."""
    return {line.product.pk} | ({line.substitute_for.pk} if line.substitute_for else set())


def _merged(lines: list[RecommendationLine]) -> tuple[RecommendationLine, ...]:
    """One line per product: where a zone rule names a product the routine (or another zone
    rule) already has, the first line stays as it is (its quantity and use) and its reason
    gains the later one's, so the shopper reads both."""
    kept: list[RecommendationLine] = []
    for line in lines:
        same = next((i for i, k in enumerate(kept) if _names(k) & _names(line)), None)
        if same is None:
            kept.append(line)
        elif line.why not in kept[same].why:
            kept[same] = replace(kept[same], why=f"{kept[same].why} {line.why}".strip())
    return tuple(kept)


def _lines(
    *,
    rule: RecommendationRule | None,
    condition: SkinCondition,
    grade: int,
    findings: tuple[ZoneFinding, ...],
    on: date,
) -> tuple[tuple[RecommendationLine, ...], list[ZoneRule]]:
    """The routine's products (the rule's, or basic care), then what the zones add, and the
    zone rules that added them. Nothing the rule's plan excludes is added, not even as a
    stand-in for a product out of stock."""
    taken: set[int] = set()
    if rule is None:
        lines = _default_lines(routine_why(own="", condition=condition, grade=grade))
    else:
        lines = _stocked_lines(_rule_wanted(rule, grade=grade), taken=taken)
    taken |= {line.product.pk for line in lines}
    # Without zone findings nothing is added: the exclusions' two queries are spared.
    excluded = set()
    if rule is not None and findings:
        excluded = set(selectors.plan_exclusions(plan=rule.plan))
    taken |= excluded
    additions = zone_additions(
        condition=condition, findings=findings, on=on, grade=grade, excluded=excluded
    )
    lines = _merged([*lines, *_stocked_lines(_zone_wanted(additions), taken=taken)])
    return lines, [zone_rule for zone_rule, _ in additions]


def _rules_updated(rule: RecommendationRule | None, zone_rules: list[ZoneRule]):
    moments = [r.updated_at for r in zone_rules]
    if rule is not None:
        moments += [rule.updated_at, rule.plan.updated_at]
    return max(moments, default=None)


def _recommendation(
    *,
    condition: SkinCondition,
    grade: int,
    plan: RoutinePlan,
    rule: RecommendationRule | None,
    findings: tuple[ZoneFinding, ...],
    on: date,
    check: str = "",
) -> Recommendation:
    lines, zone_rules = _lines(
        rule=rule, condition=condition, grade=grade, findings=findings, on=on
    )
    return Recommendation(
        condition=condition,
        grade=grade,
        plan=_with_referral(plan, condition=condition, grade=grade),
        lines=lines,
        rule=rule,
        zones=findings,
        check=check,
        rules_updated=_rules_updated(rule, zone_rules),
    )


def _check_grade(condition: SkinCondition, grade: int) -> None:
    if not isinstance(grade, int) or isinstance(grade, bool) or grade not in condition.grades:
        raise ApplicationError(
            f"{condition.scale_name} grades run from 0 to {condition.max_grade}; "
            f"{grade!r} is not one.",
            code="invalid_grade",
        )


def recommend(
    *,
    grade: int,
    condition: SkinCondition | None = None,
    skin_type: str = "",
    today: date | None = None,
    zones: Sequence[Mapping] = (),
    check: str = "",
) -> Recommendation:
    """The plan, products and kit for ``grade`` of ``condition`` (default: acne vulgaris).

    ``zones``: a skin check's zone findings (``{"zone": "chin", "severity": 3.4}``, other keys
    ignored); the zone rules they call for add their products after the routine's. Without
    zones the routine is the grade's alone. ``check``: the id of the shopper's check the zones
    come from; only then do the zone products join the kit (``Recommendation.kit_lines``).

    Raises ``ApplicationError`` for a grade outside the scale, an unknown skin type or a bad
    zone finding (``NotFound`` when no condition is set up).
    """
    condition = condition or selectors.condition_default()
    if condition is None:
        raise NotFound("No skin condition is set up.", code="no_condition")
    _check_grade(condition, grade)
    if skin_type and skin_type not in SkinType.values:
        raise ApplicationError(f"Unknown skin type {skin_type!r}.", code="invalid_skin_type")
    findings = zone_findings(zones, condition=condition)
    on = today or timezone.localdate()
    rule = (
        selectors.rules_matching(condition=condition, grade=grade, skin_type=skin_type, on=on)
        .prefetch_related("plan__steps", "plan__warnings")
        .first()
    )
    plan = DEFAULT_PLAN if rule is None else _routine_plan(rule.plan)
    return _recommendation(
        condition=condition,
        grade=grade,
        plan=plan,
        rule=rule,
        findings=findings,
        on=on,
        check=check,
    )


def recommend_for_rule(
    *,
    rule_id: int,
    today: date | None = None,
    zones: Sequence[Mapping] = (),
    check: str = "",
) -> Recommendation:
    """The recommendation of one rule (for "add this kit"), if the rule is offered today,
    with what ``zones`` add (as ``recommend``)."""
    on = today or timezone.localdate()
    rule = selectors.rule_offered(rule_id=rule_id, on=on)
    if rule is None:
        raise NotFound("This kit is not offered any more.", code="no_kit")
    condition, grade = rule.condition, rule.min_grade
    findings = zone_findings(zones, condition=condition)
    plan = _routine_plan(rule.plan)
    return _recommendation(
        condition=condition,
        grade=grade,
        plan=plan,
        rule=rule,
        findings=findings,
        on=on,
        check=check,
    )


def kit_recommendation(
    *,
    rule_id: int | None = None,
    grade: int | None = None,
    condition_slug: str = "",
    skin_type: str = "",
    zones: Sequence[Mapping] = (),
    check: str = "",
) -> Recommendation:
    """The recommendation whose kit a shopper asked for: by rule id, or by grade; ``zones``
    and ``check`` as ``recommend``."""
    if rule_id is not None:
        return recommend_for_rule(rule_id=rule_id, zones=zones, check=check)
    if grade is None:
        raise ApplicationError("Name a kit (rule) or a grade.", code="kit_unspecified")
    condition = None
    if condition_slug:
        condition = SkinCondition.objects.filter(slug=condition_slug).first()
        if condition is None:
            raise NotFound(f"Unknown skin condition {condition_slug!r}.", code="no_condition")
    return recommend(
        grade=grade, condition=condition, skin_type=skin_type, zones=zones, check=check
    )
