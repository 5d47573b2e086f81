"""What a grade gets.

``recommend`` answers for every grade of a condition's scale: the winning rule's plan and
products, or a default routine of basic care when no rule matches. Out-of-stock products are
swapped for an in-stock product of the same role, or the line is marked unavailable.
"""

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
)
from recommendations.services.values import (
    Recommendation,
    RecommendationLine,
    RoutinePlan,
    RoutineStep,
    RoutineWarning,
)
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
    """From the condition's referral grade up, every plan tells the shopper to see a doctor."""
    refer = condition.refer_from_grade is not None and grade >= condition.refer_from_grade
    if not refer or any(w.level == WarningLevel.SEE_DOCTOR for w in plan.warnings):
        return plan
    return RoutinePlan(
        plan.name, plan.summary, plan.duration_weeks, plan.steps, (REFERRAL_WARNING, *plan.warnings)
    )


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


def _rule_lines(rule: RecommendationRule) -> tuple[RecommendationLine, ...]:
    items = list(rule.items.select_related("product").prefetch_related("product__key_ingredients"))
    # Availability comes from the catalog's selector; inactive products are simply absent.
    sellable = {p.pk: p for p in product_list().filter(pk__in=[i.product_id for i in items])}
    taken = {i.product_id for i in items}
    lines = []
    for item in items:
        role = item.role or item.product.role
        product = sellable.get(item.product_id)
        if product is not None and product.available >= item.quantity:
            lines.append(
                RecommendationLine(product, role, item.quantity, item.when, item.how_to_use, True)
            )
            continue
        original = product or item.product
        if product is None:
            original.available = 0
        replacement = _replacement(
            role=role, quantity=item.quantity, like=item.product, exclude=taken
        )
        if replacement is not None:
            taken.add(replacement.pk)
        lines.append(
            RecommendationLine(
                product=replacement or original,
                role=role,
                quantity=item.quantity,
                when=item.when,
                how_to_use=item.how_to_use,
                in_stock=replacement is not None,
                substitute_for=original if replacement is not None else None,
            )
        )
    return tuple(lines)


def _default_lines() -> tuple[RecommendationLine, ...]:
    lines = []
    for role in DEFAULT_ROLES:
        product = _replacement(role=role, quantity=1, like=None, exclude=set())
        if product is None:
            continue  # the shop sells none of this role right now; the plan still says it
        when, how = DEFAULT_USE[role]
        lines.append(RecommendationLine(product, role, 1, when, how, True))
    return tuple(lines)


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
) -> Recommendation:
    """The plan, products and kit for ``grade`` of ``condition`` (default: acne vulgaris).

    Raises ``ApplicationError`` for a grade outside the scale or an unknown skin type
    (``NotFound`` when no condition is set up).
    """
    condition = condition or selectors.condition_default()
    if condition is None:
        raise NotFound("No skin condition is set up.", code="no_condition")
    _check_grade(condition, grade)
    if skin_type and skin_type not in SkinType.values:
        raise ApplicationError(f"Unknown skin type {skin_type!r}.", code="invalid_skin_type")
    on = today or timezone.localdate()
    rule = (
        selectors.rules_matching(condition=condition, grade=grade, skin_type=skin_type, on=on)
        .prefetch_related("plan__steps", "plan__warnings")
        .first()
    )
    if rule is None:
        plan, lines = DEFAULT_PLAN, _default_lines()
    else:
        plan, lines = _routine_plan(rule.plan), _rule_lines(rule)
    plan = _with_referral(plan, condition=condition, grade=grade)
    return Recommendation(condition=condition, grade=grade, plan=plan, lines=lines, rule=rule)


def recommend_for_rule(*, rule_id: int, today: date | None = None) -> Recommendation:
    """The recommendation of one rule (for "add this kit"), if the rule is offered today."""
    on = today or timezone.localdate()
    rule = selectors.rule_offered(rule_id=rule_id, on=on)
    if rule is None:
        raise NotFound("This kit is not offered any more.", code="no_kit")
    plan = _with_referral(_routine_plan(rule.plan), condition=rule.condition, grade=rule.min_grade)
    return Recommendation(
        condition=rule.condition,
        grade=rule.min_grade,
        plan=plan,
        lines=_rule_lines(rule),
        rule=rule,
    )


def kit_recommendation(
    *,
    rule_id: int | None = None,
    grade: int | None = None,
    condition_slug: str = "",
    skin_type: str = "",
) -> Recommendation:
    """The recommendation whose kit a shopper asked for: by rule id, or by grade."""
    if rule_id is not None:
        return recommend_for_rule(rule_id=rule_id)
    if grade is None:
        raise ApplicationError("Name a kit (rule) or a grade.", code="kit_unspecified")
    condition = None
    if condition_slug:
        condition = SkinCondition.objects.filter(slug=condition_slug).first()
        if condition is None:
            raise NotFound(f"Unknown skin condition {condition_slug!r}.", code="no_condition")
    return recommend(grade=grade, condition=condition, skin_type=skin_type)
