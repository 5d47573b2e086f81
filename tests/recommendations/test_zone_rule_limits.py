"""Zone rules cannot contradict a plan: each covers a range of overall grades, and a product
the routine's plan excludes (by name or by a key ingredient) is never added, not even as a
stand-in. The admin's preview shows, per grade, what zone rules add or why they may not."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from recommendations.models import TreatmentPlan, ZoneRule
from recommendations.services.routine import recommend
from tests.catalog.factories import IngredientFactory, ProductFactory
from tests.recommendations.factories import RuleFactory, RuleItemFactory, ZoneRuleFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
FOREHEAD_2 = [{"zone": "forehead", "severity": 2.5}]


def names(recommendation) -> list[str]:
    return [line.product.name for line in recommendation.lines]


@pytest.fixture
def bpo():
    return IngredientFactory(name="Benzoyl peroxide", slug="benzoyl-peroxide")


@pytest.fixture
def severe_rule(bpo):
    """Grades 4-5: a cleanser, and a plan whose caution excludes benzoyl peroxide."""
    rule = RuleFactory(min_grade=4, max_grade=5)
    rule.plan.excluded_ingredients.add(bpo)
    RuleItemFactory(rule=rule, product__name="Cleanser", product__role="cleanser")
    return rule


@pytest.fixture
def mild_rule():
    rule = RuleFactory(min_grade=1, max_grade=3)
    RuleItemFactory(rule=rule, product__name="Wash", product__role="cleanser")
    return rule


def test_a_zone_rule_adds_only_to_routines_of_its_grades(mild_rule, severe_rule):
    ZoneRuleFactory(
        zone="forehead", min_severity=2, min_grade=1, max_grade=3, product__name="BHA exfoliant"
    )

    assert "BHA exfoliant" in names(recommend(grade=2, zones=FOREHEAD_2, today=TODAY))
    assert "BHA exfoliant" not in names(recommend(grade=4, zones=FOREHEAD_2, today=TODAY))


def test_a_zone_rule_without_a_top_grade_covers_every_grade_from_its_lowest(mild_rule):
    ZoneRuleFactory(zone="forehead", min_severity=2, min_grade=2, product__name="Patches")

    assert "Patches" not in names(recommend(grade=1, zones=FOREHEAD_2, today=TODAY))
    assert "Patches" in names(recommend(grade=3, zones=FOREHEAD_2, today=TODAY))


def test_a_product_the_plan_excludes_is_never_added(severe_rule, bpo):
    ZoneRuleFactory(
        zone="forehead", min_severity=2, product__name="BPO gel", product__key_ingredients=[bpo]
    )
    named = ProductFactory(name="Strong peel", role="spot_care")
    severe_rule.plan.excluded_products.add(named)
    ZoneRuleFactory(zone="forehead", min_severity=2, product=named)
    ZoneRuleFactory(zone="forehead", min_severity=2, product__name="Patches")

    routine = recommend(grade=4, zones=FOREHEAD_2, today=TODAY)

    assert names(routine) == ["Cleanser", "Patches"]


def test_no_stand_in_the_plan_excludes_replaces_a_sold_out_addition(severe_rule, bpo):
    ZoneRuleFactory(
        zone="forehead",
        min_severity=2,
        product__name="Sulfur spot gel",
        product__role="spot_care",
        product__stock=0,
    )
    ProductFactory(name="BPO spot gel", role="spot_care", key_ingredients=[bpo])

    routine = recommend(grade=4, zones=FOREHEAD_2, today=TODAY)

    spot = routine.lines[-1]
    assert spot.product.name == "Sulfur spot gel" and not spot.in_stock


def test_the_grade_range_is_checked_against_the_scale():
    rule = ZoneRuleFactory.build(min_grade=3, max_grade=2, product=ProductFactory())
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "must not be below" in str(error.value.message_dict["max_grade"])

    rule = ZoneRuleFactory.build(min_grade=0, max_grade=9, product=ProductFactory())
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "9 is not one" in str(error.value.message_dict["max_grade"])


def test_a_zone_rule_saved_before_grade_ranges_keeps_adding_to_every_grade(mild_rule):
    # What the migration gives rows that existed: from grade 0, no top.
    rule = ZoneRuleFactory(zone="forehead", min_severity=2, product__name="Patches")

    assert (rule.min_grade, rule.max_grade) == (0, None)
    assert all(rule.covers(grade) for grade in range(6))


def test_the_preview_shows_zone_additions_per_grade_and_what_a_plan_blocks(
    admin_client, mild_rule, severe_rule, bpo
):
    ZoneRuleFactory(
        name="Forehead BPO",
        zone="forehead",
        min_severity=2,
        min_grade=2,
        product__name="BPO gel",
        product__key_ingredients=[bpo],
    )

    response = admin_client.get(reverse("admin:recommendations_recommendationrule_preview"))

    rows = response.context["conditions"][0][1]
    by_grade = {r.grade: [(a.rule.name, a.blocked_by) for a in additions] for r, additions in rows}
    assert by_grade[1] == []
    assert by_grade[2] == [("Forehead BPO", "")]
    assert by_grade[4] == [("Forehead BPO", "the plan excludes benzoyl peroxide")]
    assert "Never added here: the plan excludes benzoyl peroxide." in response.content.decode()


def test_a_routine_says_it_follows_todays_rules(client, mild_rule):
    page = client.get(reverse("recommendations:routine_detail", args=[2])).content.decode()

    assert "This is the shop's routine for this grade today" in page
    assert f"last changed on {mild_rule.plan.updated_at:%-d %B %Y}" in page


def test_the_demo_severe_plan_keeps_the_demo_spot_treatment_out():
    call_command("seed_demo")
    severe = TreatmentPlan.objects.get(slug="severe-acne-see-dermatologist")
    assert "Benzoyl peroxide" in {i.name for i in severe.excluded_ingredients.all()}
    spot = ZoneRule.objects.get(slug="one-inflamed-zone-bpo-spot")
    assert (spot.min_grade, spot.max_grade) == (1, 3)

    alone = [{"zone": "chin", "severity": 4.2}]
    assert "Benzoyl Peroxide 2.5% Gel" not in names(recommend(grade=4, zones=alone))
    assert "Hydrocolloid Spot Patches (36)" in names(recommend(grade=4, zones=alone))
