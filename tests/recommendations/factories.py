"""Recommendations factories. The GEA acne condition comes from the data migration: use
``acne()``; ``SkinConditionFactory`` makes other scales."""

import uuid
from decimal import Decimal

import factory
from django.urls import reverse
from factory.django import DjangoModelFactory

from orders.models import CartLine
from recommendations.models import (
    PlanStep,
    PlanWarning,
    RecommendationRule,
    RuleItem,
    SkinCondition,
    TreatmentPlan,
    UsageTime,
    WarningLevel,
    Zone,
    ZoneRule,
)
from tests.catalog.factories import ProductFactory
from tests.orders.factories import ADDRESS, card


def acne() -> SkinCondition:
    return SkinCondition.objects.get(slug="acne-vulgaris")


class SkinConditionFactory(DjangoModelFactory):
    class Meta:
        model = SkinCondition

    name = factory.Sequence(lambda n: f"Condition {n}")
    slug = factory.Sequence(lambda n: f"condition-{n}")
    scale_name = "Test scale"
    max_grade = 2
    grade_labels = factory.LazyAttribute(lambda c: [f"grade {g}" for g in range(c.max_grade + 1)])
    position = 10


class TreatmentPlanFactory(DjangoModelFactory):
    class Meta:
        model = TreatmentPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    slug = factory.Sequence(lambda n: f"plan-{n}")
    summary = "Cleanse, treat, protect."
    duration_weeks = 12


class PlanStepFactory(DjangoModelFactory):
    class Meta:
        model = PlanStep

    plan = factory.SubFactory(TreatmentPlanFactory)
    position = factory.Sequence(int)
    timing = UsageTime.BOTH
    title = factory.Sequence(lambda n: f"Step {n}")
    instructions = "Apply a thin layer."


class PlanWarningFactory(DjangoModelFactory):
    class Meta:
        model = PlanWarning

    plan = factory.SubFactory(TreatmentPlanFactory)
    level = WarningLevel.CAUTION
    text = "Introduce retinoids gradually."


class RuleFactory(DjangoModelFactory):
    """A rule for acne grades ``min_grade..max_grade`` (default 0..5) with no items yet."""

    class Meta:
        model = RecommendationRule

    condition = factory.LazyFunction(acne)
    name = factory.Sequence(lambda n: f"Rule {n}")
    slug = factory.Sequence(lambda n: f"rule-{n}")
    min_grade = 0
    max_grade = 5
    plan = factory.SubFactory(TreatmentPlanFactory)


class RuleItemFactory(DjangoModelFactory):
    class Meta:
        model = RuleItem

    rule = factory.SubFactory(RuleFactory)
    product = factory.SubFactory(ProductFactory)
    role = factory.LazyAttribute(lambda item: item.product.role)
    quantity = 1
    when = UsageTime.BOTH
    position = factory.Sequence(int)


class ZoneRuleFactory(DjangoModelFactory):
    """Adds a spot treatment when the chin is moderate (GEA 3) or worse."""

    class Meta:
        model = ZoneRule

    condition = factory.LazyFunction(acne)
    name = factory.Sequence(lambda n: f"Zone rule {n}")
    slug = factory.Sequence(lambda n: f"zone-rule-{n}")
    zone = Zone.CHIN
    min_severity = 3
    product = factory.SubFactory(ProductFactory, role="spot_care")
    when = UsageTime.EVENING


def zone_kit_rule() -> RecommendationRule:
    """Grade 3, 10 % off as a kit: a cleanser (10.00); a chin rule adds a spot gel (5.00)."""
    rule = RuleFactory(min_grade=3, max_grade=3, kit_discount_percent=Decimal("10"))
    RuleItemFactory(rule=rule, product__name="Cleanser", product__price=Decimal("10.00"))
    ZoneRuleFactory(
        product__name="Spot gel",
        product__price=Decimal("5.00"),
        why="A spot treatment for the inflamed spots on your {zone}.",
    )
    return rule


ADD_URL = reverse("admin:recommendations_recommendationrule_add")
ZONE_ADD_URL = reverse("admin:recommendations_zonerule_add")


def rule_form(**overrides) -> dict:
    product = overrides.pop("product", None) or ProductFactory()
    data = {
        "condition": acne().pk,
        "name": "Mild acne",
        "slug": "mild-acne",
        "kit_name": "",
        "is_active": "on",
        "priority": "0",
        "min_grade": "2",
        "max_grade": "2",
        "skin_type": "",
        "valid_from": "",
        "valid_until": "",
        "plan": TreatmentPlanFactory().pk,
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-position": "0",
        "items-0-product": product.pk,
        "items-0-role": "",
        "items-0-quantity": "1",
        "items-0-when": "both",
        "items-0-how_to_use": "Thin layer.",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def zone_rule_form(**overrides) -> dict:
    data = {
        "condition": acne().pk,
        "name": "Chin spot gel",
        "slug": "chin-spot-gel",
        "is_active": "on",
        "priority": "0",
        "zone": "chin",
        "min_severity": "3",
        "only_when_single_zone": "on",
        "min_grade": "0",
        "max_grade": "",
        "product": ProductFactory(role="spot_care").pk,
        "quantity": "1",
        "when": "evening",
        "how_to_use": "A thin layer on the spots.",
        "why": "",
        "valid_from": "",
        "valid_until": "",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def form_errors(response) -> dict:
    errors = dict(response.context["adminform"].form.errors)
    for formset in response.context["inline_admin_formsets"]:
        for form_errors_ in formset.formset.errors:
            errors.update({f"items.{k}": v for k, v in form_errors_.items()})
    return errors


def cart_contents(cart) -> dict[str, int]:
    return {
        line.product.name: line.quantity
        for line in CartLine.objects.filter(cart=cart).select_related("product")
    }


def checkout_form() -> dict:
    return {
        "idempotency_key": str(uuid.uuid4()),
        "email": "sam@example.com",
        "full_name": ADDRESS.full_name,
        "address_line1": ADDRESS.line1,
        "city": ADDRESS.city,
        "postcode": ADDRESS.postcode,
        "country": ADDRESS.country,
        "card_number": "4242 4242 4242 4242",
        "card_expiry": f"12/{card().exp_year % 100:02d}",
        "card_cvc": "123",
    }
