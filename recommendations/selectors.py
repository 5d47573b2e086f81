"""Recommendation reads: conditions, the rules that apply to a grade, and overlaps between rules."""

from datetime import date

from django.db.models import Q, QuerySet

from recommendations.models import RecommendationRule, SkinCondition, ZoneRule


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
    *, condition: SkinCondition, zones: list[str], on: date
) -> QuerySet[ZoneRule]:
    """Active zone rules of ``condition`` for any of ``zones``, within their dates on ``on``."""
    return ZoneRule.objects.filter(
        _in_window(on), condition=condition, zone__in=zones, is_active=True
    ).select_related("condition", "product")


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
