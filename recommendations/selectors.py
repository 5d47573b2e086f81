"""Recommendation reads: conditions, the rules that apply to a grade, and overlaps between rules."""

from datetime import date

from django.db.models import Q, QuerySet

from catalog.models import Product
from recommendations.models import RecommendationRule, SkinCondition, TreatmentPlan, ZoneRule


def condition_list() -> QuerySet[SkinCondition]:
    return SkinCondition.objects.order_by("position", "name")


def condition_default() -> SkinCondition | None:
    """The condition the storefront and the API use when none is named (acne vulgaris)."""
    return condition_list().first()


def _in_window(on: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )


def rules_matching(
    *, condition: SkinCondition, grade: int, skin_type: str = "", on: date
) -> QuerySet[RecommendationRule]:
    """Active rules that cover ``grade`` on day ``on``, the winner first.

    Winner: the highest priority; on a tie a rule for the shopper's skin type beats a rule for
    any skin type, then the older rule (lower id), so the answer never flips between requests.
    """
    skin = Q(skin_type="") | Q(skin_type=skin_type) if skin_type else Q(skin_type="")
    queryset = RecommendationRule.objects.filter(
        _in_window(on),
        skin,
        condition=condition,
        is_active=True,
        min_grade__lte=grade,
        max_grade__gte=grade,
    ).select_related("plan", "condition")
    # "" sorts before any skin type, so descending puts specific rules first.
    return queryset.order_by("-priority", "-skin_type", "id")


def rule_offered(*, rule_id: int, on: date) -> RecommendationRule | None:
    """The rule with ``rule_id`` if it is active and within its date window on ``on``."""
    return (
        RecommendationRule.objects.filter(_in_window(on), pk=rule_id, is_active=True)
        .select_related("plan", "condition")
        .prefetch_related("plan__steps", "plan__warnings")
        .first()
    )


def zone_rules_offered(
    *, condition: SkinCondition, zones: list[str] | None = None, on: date, grade: int
) -> QuerySet[ZoneRule]:
    """Active zone rules of ``condition`` for a routine of ``grade``, within their dates on
    ``on``; with ``zones``, only those for one of them ("" for the rules of any zone)."""
    queryset = ZoneRule.objects.filter(
        _in_window(on),
        Q(max_grade__isnull=True) | Q(max_grade__gte=grade),
        condition=condition,
        is_active=True,
        min_grade__lte=grade,
    )
    if zones is not None:
        queryset = queryset.filter(zone__in=zones)
    return queryset.select_related("condition", "product")


def plan_exclusions(*, plan: TreatmentPlan) -> dict[int, str]:
    """The products zone rules may not add to ``plan``'s routine, each with why: named by the
    plan, or holding a key ingredient it excludes. Two queries."""
    why = {
        pk: "the plan excludes this product"
        for pk in plan.excluded_products.values_list("pk", flat=True)
    }
    holding = Product.key_ingredients.through.objects.filter(
        ingredient__in=plan.excluded_ingredients.all()
    ).values_list("product_id", "ingredient__name")
    for product_id, ingredient in holding:
        why.setdefault(product_id, f"the plan excludes {ingredient.lower()}")
    return why


def zone_rule_offered(*, rule_id: int, on: date) -> ZoneRule | None:
    """The zone rule with ``rule_id`` if it is active and within its date window on ``on``."""
    return ZoneRule.objects.filter(_in_window(on), pk=rule_id, is_active=True).first()


def rule_overlaps(*, rule: RecommendationRule) -> list[RecommendationRule]:
    """Other active rules that can apply to a shopper this rule applies to.

    Same condition, intersecting grade ranges and date windows, and skin types that can both
    match one shopper (equal, or one of them for any skin type). Empty for an inactive rule.
    """
    if not rule.is_active:
        return []
    queryset = RecommendationRule.objects.filter(
        condition_id=rule.condition_id,
        is_active=True,
        min_grade__lte=rule.max_grade,
        max_grade__gte=rule.min_grade,
    ).exclude(pk=rule.pk)
    if rule.valid_until:
        queryset = queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=rule.valid_until))
    if rule.valid_from:
        queryset = queryset.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=rule.valid_from)
        )
    if rule.skin_type:
        queryset = queryset.filter(Q(skin_type="") | Q(skin_type=rule.skin_type))
    return list(queryset.order_by("-priority", "-skin_type", "id"))
