"""Loads the demo plans and rules of ``demo_data`` (``manage.py seed_demo_rules``)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from catalog.models import Ingredient, Product
from recommendations import demo_data
from recommendations.models import (
    PlanStep,
    PlanWarning,
    RecommendationRule,
    RuleItem,
    SkinCondition,
    TreatmentPlan,
    ZoneRule,
)
from skinshop.upsert import upsert_by_slug


@dataclass
class RulesSeedSummary:
    plans: int = 0
    rules: int = 0
    zone_rules: int = 0
    written: int = 0

    def __str__(self) -> str:
        return (
            f"Demo rules: {self.plans} plans, {self.rules} rules, {self.zone_rules} zone rules "
            f"({self.written} rows written)."
        )


def _replace_children(
    manager, rows: list[dict], fields: tuple[str, ...], model: type[Model], parent: dict
) -> bool:
    """Make a parent's child rows equal ``rows`` (in order); writes only when they differ."""
    current = [tuple(getattr(c, f) for f in fields) for c in manager.all()]
    if current == [tuple(r[f] for f in fields) for r in rows]:
        return False
    manager.all().delete()
    for position, row in enumerate(rows):
        child = model(position=position, **parent, **row)
        child.full_clean()
        child.save()
    return True


def _set_exclusions(plan: TreatmentPlan, names: tuple[str, ...]) -> bool:
    """The plan's excluded ingredients become ``names``; writes only when they differ."""
    ingredients = list(Ingredient.objects.filter(name__in=names))
    missing = sorted(set(names) - {i.name for i in ingredients})
    if missing:
        raise ValidationError(
            "The demo plans need these ingredients; seed the demo catalog first: "
            + ", ".join(missing)
        )
    if set(plan.excluded_ingredients.all()) == set(ingredients):
        return False
    plan.excluded_ingredients.set(ingredients)
    return True


def _seed_plans(plans: tuple) -> tuple[dict[str, TreatmentPlan], int]:
    by_slug, written_rows = {}, 0
    for p in plans:
        plan, _, written = upsert_by_slug(
            TreatmentPlan,
            slug=p.slug,
            values={"name": p.name, "summary": p.summary, "duration_weeks": p.duration_weeks},
        )
        steps = [
            {"timing": s[0], "title": s[1], "instructions": s[2], "from_week": s[3]}
            for s in p.steps
        ]
        step_fields = ("timing", "title", "instructions", "from_week")
        written |= _replace_children(plan.steps, steps, step_fields, PlanStep, {"plan": plan})
        warnings = [{"level": level, "text": text} for level, text in p.warnings]
        written |= _replace_children(
            plan.warnings, warnings, ("level", "text"), PlanWarning, {"plan": plan}
        )
        written |= _set_exclusions(plan, p.excluded_ingredients)
        written_rows += written
        by_slug[p.slug] = plan
    return by_slug, written_rows


def _demo_products(slugs: set[str]) -> dict[str, Product]:
    products = {p.slug: p for p in Product.objects.filter(slug__in=slugs)}
    missing = sorted(slugs - products.keys())
    if missing:
        raise ValidationError(
            "The demo rules need these products; seed the demo catalog first: " + ", ".join(missing)
        )
    return products


def _seed_rule(r, *, condition, plan: TreatmentPlan, products: dict[str, Product]) -> bool:
    rule, _, written = upsert_by_slug(
        RecommendationRule,
        slug=r.slug,
        values={
            "condition": condition,
            "name": r.name,
            "kit_name": r.kit_name,
            "kit_discount_percent": r.kit_discount_percent,
            "min_grade": r.min_grade,
            "max_grade": r.max_grade,
            "skin_type": r.skin_type,
            "priority": r.priority,
            "is_active": True,
            "plan": plan,
        },
    )
    items = [
        {
            "product": products[i.product],
            "role": products[i.product].role,
            "quantity": i.quantity,
            "when": i.when,
            "how_to_use": i.how_to_use,
        }
        for i in r.items
    ]
    item_fields = ("product", "role", "quantity", "when", "how_to_use")
    written |= _replace_children(rule.items, items, item_fields, RuleItem, {"rule": rule})
    return written


def _seed_zone_rule(z, *, condition, products: dict[str, Product]) -> bool:
    _, _, written = upsert_by_slug(
        ZoneRule,
        slug=z.slug,
        values={
            "condition": condition,
            "name": z.name,
            "zone": z.zone,
            "min_severity": z.min_severity,
            "only_when_single_zone": z.only_when_single_zone,
            "min_grade": z.min_grade,
            "max_grade": z.max_grade,
            "product": products[z.product],
            "quantity": z.quantity,
            "when": z.when,
            "how_to_use": z.how_to_use,
            "why": z.why,
            "is_active": True,
        },
    )
    return written


@transaction.atomic
def seed_demo_rules(
    *,
    plans: tuple = demo_data.PLANS,
    rules: tuple = demo_data.RULES,
    zone_rules: tuple = demo_data.ZONE_RULES,
) -> RulesSeedSummary:
    """Load the demo plans, rules (one per GEA grade band) and zone rules. Running it again
    changes nothing.

    Needs the demo catalog (its product slugs); a missing product is an error that names it.
    """
    condition = SkinCondition.objects.filter(slug=demo_data.CONDITION_SLUG).first()
    if condition is None:
        raise ValidationError(f"Skin condition {demo_data.CONDITION_SLUG!r} is missing.")
    summary = RulesSeedSummary(plans=len(plans), rules=len(rules), zone_rules=len(zone_rules))
    plans_by_slug, summary.written = _seed_plans(plans)
    products = _demo_products(
        {item.product for r in rules for item in r.items} | {z.product for z in zone_rules}
    )
    for r in rules:
        summary.written += _seed_rule(
            r, condition=condition, plan=plans_by_slug[r.plan], products=products
        )
    for z in zone_rules:
        summary.written += _seed_zone_rule(z, condition=condition, products=products)
    return summary
