from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from recommendations.models import RecommendationRule, Zone
from tests.catalog.factories import ProductFactory
from tests.recommendations.factories import (
    RuleFactory,
    SkinConditionFactory,
    ZoneRuleFactory,
    acne,
)

pytestmark = pytest.mark.django_db


def test_the_gea_scale_is_seeded_as_data():
    condition = acne()

    assert condition.scale_name == "GEA (Global Acne Severity)"
    assert list(condition.grades) == [0, 1, 2, 3, 4, 5]
    assert condition.grade_labels == [
        "clear",
        "almost clear",
        "mild",
        "moderate",
        "severe",
        "very severe",
    ]
    assert condition.refer_from_grade == 4


def test_a_scale_needs_one_label_per_grade():
    condition = SkinConditionFactory.build(max_grade=3, grade_labels=["a", "b"])

    with pytest.raises(ValidationError, match="Give 4 labels, one per grade 0..3."):
        condition.full_clean()


def test_a_scale_cannot_shrink_below_its_rules():
    condition = SkinConditionFactory(max_grade=4, grade_labels=list("abcde"))
    RuleFactory(condition=condition, min_grade=1, max_grade=4)
    condition.max_grade, condition.grade_labels = 3, list("abcd")

    with pytest.raises(ValidationError, match="Rules cover grades up to 4"):
        condition.full_clean()


def test_the_database_refuses_an_inverted_grade_range():
    with pytest.raises(IntegrityError):
        RecommendationRule.objects.create(
            condition=acne(),
            name="Broken",
            slug="broken",
            min_grade=3,
            max_grade=1,
            plan=RuleFactory().plan,
        )


def test_the_zones_are_the_analysis_engines_zones():
    # Recommendations may not import diagnosis, so its zone choices are a copy: kept equal here.
    from diagnosis.ml.zones import LABELS, ZONES

    assert tuple(Zone.values) == ZONES
    assert {zone.value: zone.label for zone in Zone} == LABELS


def test_a_zone_rule_is_checked_against_the_scale_and_the_catalog():
    rule = ZoneRuleFactory.build(
        min_severity=6,
        product=ProductFactory(is_active=False),
        valid_until=date(2026, 1, 1),
        valid_from=date(2026, 2, 1),
    )

    with pytest.raises(ValidationError) as error:
        rule.full_clean()

    assert error.value.message_dict == {
        "min_severity": ["GEA (Global Acne Severity) grades run from 0 to 5; 6 is not one."],
        "product": [f"{rule.product} is not active; pick an active product."],
        "valid_until": ["The end date must not be before the start date."],
    }


def test_the_database_refuses_an_unknown_zone():
    with pytest.raises(IntegrityError):
        ZoneRuleFactory(zone="ear")


def test_a_scale_cannot_shrink_below_its_zone_rules():
    condition = SkinConditionFactory(max_grade=4, grade_labels=list("abcde"))
    ZoneRuleFactory(condition=condition, min_severity=4)
    condition.max_grade, condition.grade_labels = 3, list("abcd")

    with pytest.raises(ValidationError, match="Rules cover grades up to 4"):
        condition.full_clean()
