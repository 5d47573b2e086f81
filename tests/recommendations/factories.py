"""Recommendations factories. The GEA acne condition comes from the data migration: use
``acne()``; ``SkinConditionFactory`` makes other scales."""

import factory
from factory.django import DjangoModelFactory

from recommendations.models import (
    PlanStep,
    PlanWarning,
    RecommendationRule,
    RuleItem,
    SkinCondition,
    TreatmentPlan,
    UsageTime,
    WarningLevel,
)
from tests.catalog.factories import ProductFactory


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
