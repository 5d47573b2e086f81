from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import ProductRole
from recommendations import demo_data
from recommendations.demo import seed_demo_rules
from recommendations.models import RecommendationRule, SkinType, UsageTime, WarningLevel
from recommendations.services.routine import DEFAULT_PLAN, recommend
from skinshop.errors import ApplicationError
from tests.catalog.factories import IngredientFactory, ProductFactory
from tests.recommendations.factories import (
    PlanStepFactory,
    PlanWarningFactory,
    RuleFactory,
    RuleItemFactory,
    SkinConditionFactory,
    acne,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def basic_catalog() -> None:
    for role in (ProductRole.CLEANSER, ProductRole.MOISTURIZER, ProductRole.SUNSCREEN):
        ProductFactory(role=role, name=f"Basic {role}")


def products(recommendation) -> list[str]:
    return [line.product.name for line in recommendation.lines]


# --- every grade gets an answer --------------------------------------------------------------


@pytest.mark.parametrize("grade", range(6))
def test_every_gea_grade_gets_a_plan_and_products_without_any_rule(grade):
    basic_catalog()

    recommendation = recommend(grade=grade)

    assert recommendation.is_default
    assert recommendation.plan.name == DEFAULT_PLAN.name
    assert [line.role for line in recommendation.lines] == [
        ProductRole.CLEANSER,
        ProductRole.MOISTURIZER,
        ProductRole.SUNSCREEN,
    ]
    assert recommendation.grade_label == acne().grade_labels[grade]
    assert recommendation.kit_total == Decimal("29.70")


@pytest.mark.parametrize("grade", range(6))
def test_the_demo_rules_cover_every_grade_with_an_in_stock_kit(grade):
    from catalog.services import demo_catalog_seed

    demo_catalog_seed()
    seed_demo_rules()

    recommendation = recommend(grade=grade)

    assert not recommendation.is_default
    assert recommendation.kit_lines, "every grade has products to buy"
    # The acne condition refers from grade 4 (severe); the moderate plan's "see a doctor if
    # there is no improvement" is advice for later, not a referral.
    assert recommendation.refer_to_dermatologist == (grade >= 4)


def test_a_plans_see_a_doctor_warning_below_the_referral_grade_reads_as_conditional():
    from catalog.services import demo_catalog_seed

    demo_catalog_seed()
    seed_demo_rules()

    moderate, severe = recommend(grade=3), recommend(grade=4)

    (later,) = [w for w in moderate.plan.warnings if w.level == WarningLevel.SEE_DOCTOR]
    assert later.conditional and not later.refers
    assert later.level_label == "When to see a doctor"
    assert later.text.startswith("If there is no improvement after 12 weeks")
    assert not moderate.refer_to_dermatologist
    (now,) = [w for w in severe.plan.warnings if w.level == WarningLevel.SEE_DOCTOR]
    assert now.refers and now.level_label == "See a dermatologist"


def test_a_grade_between_rules_falls_back_to_the_default_routine():
    basic_catalog()
    RuleFactory(min_grade=0, max_grade=1)
    RuleFactory(min_grade=3, max_grade=5)

    assert recommend(grade=2).is_default
    assert not recommend(grade=1).is_default


def test_grades_outside_the_scale_are_refused_with_the_scale_in_the_message():
    with pytest.raises(ApplicationError, match="grades run from 0 to 5; 6 is not one"):
        recommend(grade=6)
    with pytest.raises(ApplicationError):
        recommend(grade=-1)


def test_the_scale_comes_from_the_condition_row():
    basic_catalog()
    other = SkinConditionFactory(max_grade=2)

    assert recommend(grade=2, condition=other).grade_label == "grade 2"
    with pytest.raises(ApplicationError, match="0 to 2; 3 is not one"):
        recommend(grade=3, condition=other)


def test_severe_grades_always_advise_a_dermatologist_even_without_a_rule():
    basic_catalog()

    assert not recommend(grade=3).refer_to_dermatologist
    severe = recommend(grade=4)
    assert severe.refer_to_dermatologist
    assert severe.plan.warnings[0].level == WarningLevel.SEE_DOCTOR


# --- which rule wins ---------------------------------------------------------------------------


def test_overlapping_rules_are_resolved_by_priority():
    low = RuleFactory(min_grade=1, max_grade=4, priority=1)
    high = RuleFactory(min_grade=2, max_grade=3, priority=5)

    assert recommend(grade=2, today=TODAY).rule == high
    assert recommend(grade=4, today=TODAY).rule == low


def test_on_equal_priority_the_skin_type_rule_wins_then_the_older_rule():
    older = RuleFactory(priority=0)
    RuleFactory(priority=0)
    oily = RuleFactory(priority=0, skin_type=SkinType.OILY)

    assert recommend(grade=2, skin_type=SkinType.OILY).rule == oily
    assert recommend(grade=2, skin_type=SkinType.DRY).rule == older
    assert recommend(grade=2).rule == older


def test_a_rule_for_another_skin_type_never_applies():
    RuleFactory(skin_type=SkinType.DRY, priority=9)
    basic_catalog()

    assert recommend(grade=2).is_default
    assert recommend(grade=2, skin_type=SkinType.OILY).is_default


def test_inactive_rules_are_ignored():
    RuleFactory(priority=9, is_active=False)
    active = RuleFactory(priority=0)

    assert recommend(grade=2).rule == active


def test_rules_outside_their_date_window_are_ignored():
    expired = RuleFactory(priority=9, valid_until=TODAY - timedelta(days=1))
    future = RuleFactory(priority=8, valid_from=TODAY + timedelta(days=1))
    always = RuleFactory(priority=0)

    assert recommend(grade=2, today=TODAY).rule == always
    assert recommend(grade=2, today=TODAY - timedelta(days=1)).rule == expired
    assert recommend(grade=2, today=TODAY + timedelta(days=1)).rule == future


def test_window_bounds_are_inclusive():
    rule = RuleFactory(valid_from=TODAY, valid_until=TODAY)

    assert recommend(grade=2, today=TODAY).rule == rule


def test_unknown_skin_type_is_refused():
    with pytest.raises(ApplicationError, match="Unknown skin type"):
        recommend(grade=2, skin_type="scaly")


# --- plan and products --------------------------------------------------------------------------


def test_the_plan_splits_steps_into_morning_and_evening_in_order():
    rule = RuleFactory()
    PlanStepFactory(plan=rule.plan, position=2, timing=UsageTime.EVENING, title="Retinoid")
    PlanStepFactory(plan=rule.plan, position=1, timing=UsageTime.BOTH, title="Cleanse")
    PlanStepFactory(plan=rule.plan, position=3, timing=UsageTime.MORNING, title="Sunscreen")
    PlanWarningFactory(plan=rule.plan, text="Introduce retinoids gradually.")

    plan = recommend(grade=3).plan

    assert [s.title for s in plan.morning_steps] == ["Cleanse", "Sunscreen"]
    assert [s.title for s in plan.evening_steps] == ["Cleanse", "Retinoid"]
    assert [w.text for w in plan.warnings] == ["Introduce retinoids gradually."]


def test_products_come_in_the_staff_order_with_quantities_and_usage():
    rule = RuleFactory()
    RuleItemFactory(rule=rule, position=2, product__name="Second", quantity=2, when="evening")
    RuleItemFactory(rule=rule, position=1, product__name="First", product__price=Decimal("5.00"))

    recommendation = recommend(grade=2)

    assert products(recommendation) == ["First", "Second"]
    assert recommendation.lines[1].quantity == 2
    assert recommendation.lines[1].when_label == "Evening"
    assert recommendation.kit_total == Decimal("5.00") + 2 * Decimal("9.90")
    assert recommendation.kit_title == rule.name


def test_an_out_of_stock_product_is_replaced_by_the_closest_in_stock_product_of_its_role():
    bpo = IngredientFactory(name="Benzoyl peroxide")
    rule = RuleFactory()
    sold_out = ProductFactory(
        name="BPO 5%", role=ProductRole.TREATMENT, stock=0, key_ingredients=[bpo]
    )
    RuleItemFactory(rule=rule, product=sold_out)
    ProductFactory(name="Cleanser", role=ProductRole.CLEANSER)  # another role: never offered
    ProductFactory(name="Niacinamide", role=ProductRole.TREATMENT, price=Decimal("9.90"))
    ProductFactory(name="BPO 2.5%", role=ProductRole.TREATMENT, key_ingredients=[bpo])

    line = recommend(grade=2).lines[0]

    assert line.in_stock
    assert line.product.name == "BPO 2.5%"
    assert line.substitute_for == sold_out


def test_a_replacement_is_never_a_product_already_in_the_routine():
    rule = RuleFactory()
    sold_out = ProductFactory(name="Sold out", role=ProductRole.TREATMENT, stock=0)
    other = ProductFactory(name="Other treatment", role=ProductRole.TREATMENT)
    RuleItemFactory(rule=rule, product=sold_out, position=1)
    RuleItemFactory(rule=rule, product=other, position=2)

    first = recommend(grade=2).lines[0]

    assert not first.in_stock
    assert first.product == sold_out


def test_without_a_replacement_the_line_is_marked_unavailable_and_left_out_of_the_kit():
    rule = RuleFactory()
    RuleItemFactory(rule=rule, product__name="Sold out", product__stock=0, position=1)
    RuleItemFactory(rule=rule, product__name="In stock", product__role="cleanser", position=2)

    recommendation = recommend(grade=2)

    assert [(line.product.name, line.in_stock) for line in recommendation.lines] == [
        ("Sold out", False),
        ("In stock", True),
    ]
    assert [line.product.name for line in recommendation.kit_lines] == ["In stock"]
    assert recommendation.kit_total == Decimal("9.90")


def test_too_few_units_for_the_quantity_counts_as_out_of_stock():
    rule = RuleFactory()
    RuleItemFactory(rule=rule, product__stock=1, quantity=2)

    assert not recommend(grade=2).lines[0].in_stock


def test_a_product_deactivated_after_the_rule_was_made_is_replaced():
    rule = RuleFactory()
    item = RuleItemFactory(rule=rule, product__name="Discontinued")
    ProductFactory(name="Successor", role=item.role)
    item.product.is_active = False
    item.product.save()

    line = recommend(grade=2).lines[0]

    assert (line.product.name, line.substitute_for.name) == ("Successor", "Discontinued")


def test_the_default_routine_skips_roles_the_shop_has_no_stock_for():
    ProductFactory(role=ProductRole.CLEANSER, name="Cleanser")
    ProductFactory(role=ProductRole.SUNSCREEN, name="Sold-out SPF", stock=0)

    recommendation = recommend(grade=0)

    assert products(recommendation) == ["Cleanser"]


def test_the_answer_is_stable_between_calls():
    rule = RuleFactory()
    for position in range(4):
        RuleItemFactory(rule=rule, position=0, product__name=f"P{position}")

    assert products(recommend(grade=2)) == products(recommend(grade=2)) == ["P0", "P1", "P2", "P3"]


# --- demo rules ----------------------------------------------------------------------------------


def test_seed_demo_rules_is_idempotent():
    from catalog.services import demo_catalog_seed

    demo_catalog_seed()
    first = seed_demo_rules()
    snapshot = list(
        RecommendationRule.objects.values_list("slug", "updated_at", "plan__updated_at")
    )
    items = list(RecommendationRule.objects.values_list("items__id", flat=True))

    second = seed_demo_rules()

    assert first.written == len(demo_data.PLANS) + len(demo_data.RULES) + len(demo_data.ZONE_RULES)
    assert second.written == 0
    assert (
        list(RecommendationRule.objects.values_list("slug", "updated_at", "plan__updated_at"))
        == snapshot
    )
    assert list(RecommendationRule.objects.values_list("items__id", flat=True)) == items


def test_the_demo_zone_rules_add_a_spot_treatment_for_one_inflamed_zone():
    from catalog.services import demo_catalog_seed

    demo_catalog_seed()
    seed_demo_rules()
    first = seed_demo_rules()

    one = recommend(grade=1, zones=[{"zone": "left_cheek", "severity": 3.2}], check="a-check")
    two = recommend(
        grade=3, zones=[{"zone": "left_cheek", "severity": 3.2}, {"zone": "chin", "severity": 3}]
    )

    assert first.written == 0 and first.zone_rules == len(demo_data.ZONE_RULES)
    gel = next(line for line in one.lines if line.product.slug == "benzoyl-peroxide-2-5-gel")
    assert gel.why == (
        "A spot treatment for the inflamed spots on your left cheek, the one area that needs it."
    )
    assert gel in one.kit_lines
    by_slug = {line.product.slug: line for line in two.lines}
    assert by_slug["benzoyl-peroxide-2-5-gel"].why == (
        "Part of your routine for moderate acne vulgaris."
    ), "two inflamed zones: no spot treatment, the routine's gel stays as it was"
    assert "chin and jaw" in by_slug["hydrocolloid-spot-patches"].why


def test_seed_demo_rules_names_missing_products():
    with pytest.raises(ValidationError, match="seed the demo catalog first"):
        seed_demo_rules()


@pytest.mark.parametrize("items", [1, 8])
def test_recommend_costs_the_same_few_queries_for_any_number_of_products(
    items, django_assert_num_queries
):
    rule = RuleFactory()
    PlanStepFactory.create_batch(3, plan=rule.plan)
    PlanWarningFactory(plan=rule.plan)
    for _ in range(items):
        RuleItemFactory(rule=rule)
    # condition, rule, steps, warnings, items, their ingredients, availability
    with django_assert_num_queries(7):
        recommend(grade=2)
