"""Zone rules: what a skin check's zone findings add to a routine, and why each product is
there."""

from datetime import date, timedelta

import pytest

from catalog.models import ProductRole
from recommendations.models import Zone
from recommendations.services.routine import recommend
from recommendations.services.zones import parse_zones
from skinshop.errors import ApplicationError
from tests.catalog.factories import ProductFactory
from tests.recommendations.factories import RuleFactory, RuleItemFactory, ZoneRuleFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


def chin(severity: float) -> dict:
    # The shape a skin check gives (its other keys are ignored).
    return {"zone": "chin", "label": "chin and jaw", "severity": severity, "slot": "front"}


def zone(key: str, severity: float) -> dict:
    return {"zone": key, "severity": severity}


@pytest.fixture
def moderate_rule():
    """GEA 3: a cleanser and a benzoyl peroxide gel, the gel with its own reason."""
    rule = RuleFactory(min_grade=3, max_grade=3)
    RuleItemFactory(rule=rule, position=1, product__name="Cleanser", product__role="cleanser")
    RuleItemFactory(
        rule=rule, position=2, product__name="BPO gel", why="Benzoyl peroxide clears spots."
    )
    return rule


def products(recommendation) -> list[str]:
    return [line.product.name for line in recommendation.lines]


def whys(recommendation) -> dict[str, str]:
    return {line.product.name: line.why for line in recommendation.lines}


# --- when a zone rule adds its product ---------------------------------------------------------


def test_a_zone_rule_adds_its_product_when_its_zone_is_inflamed_enough(moderate_rule):
    ZoneRuleFactory(zone=Zone.CHIN, min_severity=3, product__name="Spot gel")

    recommendation = recommend(grade=3, zones=[chin(3.4)], check="a-check")

    assert products(recommendation) == ["Cleanser", "BPO gel", "Spot gel"]
    assert whys(recommendation)["Spot gel"] == (
        "For your chin and jaw, where your acne vulgaris is moderate or worse."
    )
    assert recommendation.kit_lines[-1].product.name == "Spot gel"


def test_zones_typed_without_a_check_show_their_products_outside_the_kit(moderate_rule):
    ZoneRuleFactory(zone=Zone.CHIN, min_severity=3, product__name="Spot gel")

    recommendation = recommend(grade=3, zones=[chin(3.4)])

    assert products(recommendation) == ["Cleanser", "BPO gel", "Spot gel"]
    assert [line.product.name for line in recommendation.kit_lines] == ["Cleanser", "BPO gel"]


def test_a_zone_below_the_rules_severity_adds_nothing(moderate_rule):
    ZoneRuleFactory(zone=Zone.CHIN, min_severity=3, product__name="Spot gel")

    assert products(recommend(grade=3, zones=[chin(2.9)])) == ["Cleanser", "BPO gel"]


def test_a_rule_for_another_zone_adds_nothing(moderate_rule):
    ZoneRuleFactory(zone=Zone.FOREHEAD, min_severity=1, product__name="Spot gel")

    assert products(recommend(grade=3, zones=[chin(4)])) == ["Cleanser", "BPO gel"]


def test_a_single_zone_rule_is_not_added_when_two_zones_are_inflamed(moderate_rule):
    ZoneRuleFactory(
        zone=Zone.CHIN, min_severity=3, only_when_single_zone=True, product__name="Spot gel"
    )

    two = recommend(grade=3, zones=[chin(3.4), zone("left_cheek", 3.0)])
    one = recommend(grade=3, zones=[chin(3.4), zone("left_cheek", 2.9)])

    assert "Spot gel" not in products(two)
    assert "Spot gel" in products(one), "a milder second zone does not count"


def test_a_rule_for_any_zone_names_the_one_inflamed_zone(moderate_rule):
    ZoneRuleFactory(
        zone="",
        min_severity=3,
        only_when_single_zone=True,
        product__name="Spot gel",
        why="A spot treatment for the inflamed spots on your {zone}.",
    )

    recommendation = recommend(grade=3, zones=[zone("nose", 1), zone("left_cheek", 3.5)])

    assert whys(recommendation)["Spot gel"] == (
        "A spot treatment for the inflamed spots on your left cheek."
    )


def test_an_inactive_or_out_of_date_zone_rule_is_ignored(moderate_rule):
    ZoneRuleFactory(is_active=False, product__name="Inactive")
    ZoneRuleFactory(valid_until=TODAY - timedelta(days=1), product__name="Expired")
    ZoneRuleFactory(valid_from=TODAY + timedelta(days=1), product__name="Not yet")
    ZoneRuleFactory(valid_from=TODAY, valid_until=TODAY, product__name="Today only")

    recommendation = recommend(grade=3, zones=[chin(4)], today=TODAY)

    assert products(recommendation) == ["Cleanser", "BPO gel", "Today only"]


def test_zone_additions_come_after_the_routine_most_affected_zone_first(moderate_rule):
    ZoneRuleFactory(zone=Zone.NOSE, min_severity=1, product__name="For the nose")
    ZoneRuleFactory(zone=Zone.CHIN, min_severity=1, product__name="For the chin, low")
    ZoneRuleFactory(zone=Zone.CHIN, min_severity=1, priority=5, product__name="For the chin")

    recommendation = recommend(grade=3, zones=[zone("nose", 2), chin(4)])

    assert products(recommendation) == [
        "Cleanser",
        "BPO gel",
        "For the chin",
        "For the chin, low",
        "For the nose",
    ]


def test_a_zone_rule_also_adds_to_the_default_routine():
    for role in (ProductRole.CLEANSER, ProductRole.MOISTURIZER, ProductRole.SUNSCREEN):
        ProductFactory(role=role, name=f"Basic {role}")
    ZoneRuleFactory(product__name="Spot gel")

    recommendation = recommend(grade=3, zones=[chin(3)])

    assert recommendation.is_default
    assert products(recommendation)[-1] == "Spot gel"


def test_an_out_of_stock_zone_product_is_replaced_like_a_routine_product(moderate_rule):
    ZoneRuleFactory(product__name="Sold-out gel", product__stock=0)
    ProductFactory(name="Other spot gel", role=ProductRole.SPOT_CARE)

    line = recommend(grade=3, zones=[chin(3)]).lines[-1]

    assert (line.product.name, line.substitute_for.name) == ("Other spot gel", "Sold-out gel")
    assert line.why.startswith("For your chin and jaw")


# --- one line per product ----------------------------------------------------------------------


def test_a_product_already_in_the_routine_keeps_one_line_with_both_reasons(moderate_rule):
    gel = moderate_rule.items.get(product__name="BPO gel")
    ZoneRuleFactory(product=gel.product, quantity=3, why="And on your {zone} in the evening.")

    recommendation = recommend(grade=3, zones=[chin(3)])

    assert products(recommendation) == ["Cleanser", "BPO gel"]
    line = recommendation.lines[1]
    assert line.quantity == 1, "the routine's line stays as it is"
    assert line.why == "Benzoyl peroxide clears spots. And on your chin and jaw in the evening."


def test_two_zone_rules_for_one_product_keep_one_line(moderate_rule):
    patches = ProductFactory(name="Patches", role=ProductRole.SPOT_CARE)
    ZoneRuleFactory(zone=Zone.CHIN, min_severity=2, product=patches)
    ZoneRuleFactory(zone=Zone.NOSE, min_severity=2, product=patches)

    recommendation = recommend(grade=3, zones=[chin(3), zone("nose", 2)])

    assert products(recommendation).count("Patches") == 1
    assert "chin and jaw" in whys(recommendation)["Patches"]
    assert "nose" in whys(recommendation)["Patches"]


# --- without zones -----------------------------------------------------------------------------


def test_without_zones_the_routine_is_unchanged(moderate_rule):
    ZoneRuleFactory(product__name="Spot gel")
    before = recommend(grade=3)

    assert recommend(grade=3, zones=[]) == before
    assert products(before) == ["Cleanser", "BPO gel"]
    assert before.zones == ()


def test_without_zones_recommend_costs_no_extra_query(moderate_rule, django_assert_num_queries):
    ZoneRuleFactory()
    # condition, rule, steps, warnings, items, their ingredients, availability
    with django_assert_num_queries(7):
        recommend(grade=3)


# --- why each product is there -----------------------------------------------------------------


def test_a_rule_item_without_its_own_reason_gets_the_routines(moderate_rule):
    assert whys(recommend(grade=3)) == {
        "Cleanser": "Part of your routine for moderate acne vulgaris.",
        "BPO gel": "Benzoyl peroxide clears spots.",
    }


def test_the_default_routine_says_why_too():
    ProductFactory(role=ProductRole.CLEANSER, name="Cleanser")

    assert whys(recommend(grade=1)) == {
        "Cleanser": "Part of your routine for almost clear acne vulgaris."
    }


def test_the_routine_for_clear_skin_keeps_it_clear_rather_than_naming_clear_acne():
    ProductFactory(role=ProductRole.CLEANSER, name="Cleanser")

    assert whys(recommend(grade=0)) == {"Cleanser": "Part of your routine to keep your skin clear."}


def test_staff_reasons_keep_their_other_braces(moderate_rule):
    ZoneRuleFactory(product__name="Spot gel", why="For your {zone} {not a placeholder}.")

    assert whys(recommend(grade=3, zones=[chin(3)]))["Spot gel"] == (
        "For your chin and jaw {not a placeholder}."
    )


# --- the findings given ------------------------------------------------------------------------


def test_the_findings_are_kept_most_affected_first_the_worst_of_a_repeated_zone():
    ProductFactory(role=ProductRole.CLEANSER)

    recommendation = recommend(
        grade=2, zones=[zone("nose", 1), chin(2.5), zone("nose", 3), zone("forehead", 2.5)]
    )

    assert [(z.zone, z.severity) for z in recommendation.zones] == [
        ("nose", 3.0),
        ("forehead", 2.5),
        ("chin", 2.5),
    ]
    assert recommendation.zones_text == "nose:3.0,forehead:2.5,chin:2.5"


def test_the_zones_the_kit_form_sends_back_give_the_same_routine():
    ZoneRuleFactory(min_severity=3, product__name="Spot gel")
    shown = recommend(grade=2, zones=[chin(2.9999999), zone("nose", 1 / 3)])

    again = recommend(grade=2, zones=parse_zones(shown.zones_text))

    assert again.zones == shown.zones and again.lines == shown.lines


@pytest.mark.parametrize(
    "finding, message",
    [
        ({"zone": "ear", "severity": 1}, "Unknown face zone 'ear'."),
        ({"severity": 1}, "Unknown face zone None."),
        (chin(6), "The severity of the chin and jaw runs from 0 to 5; 6 is not."),
        (chin(-1), "The severity of the chin and jaw runs from 0 to 5; -1 is not."),
        (chin("3"), "The severity of the chin and jaw runs from 0 to 5; '3' is not."),
        (chin(True), "The severity of the chin and jaw runs from 0 to 5; True is not."),
    ],
)
def test_bad_findings_are_refused_with_a_clear_message(finding, message):
    with pytest.raises(ApplicationError, match="^" + message.replace("(", r"\(") + "$") as error:
        recommend(grade=2, zones=[finding])

    assert error.value.code == "invalid_zones"


def test_zones_text_is_parsed_and_checked():
    assert parse_zones("") == []
    assert parse_zones(" left_cheek:3.4, chin:2 ") == [
        {"zone": "left_cheek", "severity": 3.4},
        {"zone": "chin", "severity": 2.0},
    ]
    for bad in ("ear:2", "chin", "chin:", "chin:x", "chin:-1", "chin:nan", "chin:1,chin:2"):
        with pytest.raises(ValueError):
            parse_zones(bad)
