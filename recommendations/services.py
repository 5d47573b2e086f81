"""Recommendation business rules: what a grade gets, kits into the cart, and the demo rules.

``recommend`` answers for every grade of a condition's scale: the winning rule's plan and
products, or a default routine of basic care when no rule matches. Out-of-stock products are
swapped for an in-stock product of the same role, or the line is marked unavailable.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from catalog.models import Product, ProductRole
from catalog.selectors import product_list
from orders.models import Cart, CartLine
from orders.selectors import kit_discount
from orders.services import cart as cart_services
from recommendations import demo_data, selectors
from recommendations.models import (
    PlanStep,
    PlanWarning,
    RecommendationRule,
    RuleItem,
    SkinCondition,
    SkinType,
    TreatmentPlan,
    UsageTime,
    WarningLevel,
)
from skinshop.errors import ApplicationError, NotFound

# ------------------------------------------------------------------------------------------
# What a recommendation is made of (plain values, so templates, the API and issue 4's result
# page read the same thing whether it came from a rule or from the default routine)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStepView:
    timing: str
    title: str
    instructions: str
    from_week: int = 1

    @property
    def timing_label(self) -> str:
        return UsageTime(self.timing).label


@dataclass(frozen=True)
class PlanWarningView:
    level: str
    text: str

    @property
    def level_label(self) -> str:
        return WarningLevel(self.level).label


@dataclass(frozen=True)
class PlanView:
    name: str
    summary: str
    duration_weeks: int
    steps: tuple[PlanStepView, ...]
    warnings: tuple[PlanWarningView, ...]

    @property
    def morning_steps(self) -> list[PlanStepView]:
        return [s for s in self.steps if s.timing in (UsageTime.MORNING, UsageTime.BOTH)]

    @property
    def evening_steps(self) -> list[PlanStepView]:
        return [s for s in self.steps if s.timing in (UsageTime.EVENING, UsageTime.BOTH)]

    @property
    def times(self) -> list[tuple[str, list[PlanStepView]]]:
        return [("Morning", self.morning_steps), ("Evening", self.evening_steps)]


@dataclass(frozen=True)
class RecommendationLine:
    """One product of the routine. ``product`` carries ``available`` (units that can be sold)."""

    product: Product
    role: str
    quantity: int
    when: str
    how_to_use: str
    in_stock: bool
    # The product the rule named, when it was out of stock and ``product`` replaces it.
    substitute_for: Product | None = None

    @property
    def role_label(self) -> str:
        return ProductRole(self.role).label

    @property
    def when_label(self) -> str:
        return UsageTime(self.when).label

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class Recommendation:
    condition: SkinCondition
    grade: int
    plan: PlanView
    lines: tuple[RecommendationLine, ...]
    # None for the default routine.
    rule: RecommendationRule | None = None

    @property
    def is_default(self) -> bool:
        return self.rule is None

    @property
    def grade_label(self) -> str:
        return self.condition.grade_label(self.grade)

    @property
    def kit_title(self) -> str:
        return self.rule.kit_title if self.rule else self.plan.name

    @property
    def kit_lines(self) -> list[RecommendationLine]:
        return [line for line in self.lines if line.in_stock]

    @property
    def unavailable_lines(self) -> list[RecommendationLine]:
        return [line for line in self.lines if not line.in_stock]

    @property
    def kit_total(self) -> Decimal:
        """The kit's full price: every product of the kit at its own price."""
        return sum((line.line_total for line in self.kit_lines), Decimal("0.00"))

    @property
    def kit_discount_percent(self) -> Decimal:
        """Percent off when the whole kit is bought at once; 0 for the default routine."""
        return self.rule.kit_discount_percent if self.rule else Decimal("0")

    @property
    def kit_discount(self) -> Decimal:
        """What the discount takes off, rounded the way the cart and the order round it."""
        return kit_discount(full_price=self.kit_total, percent=self.kit_discount_percent)

    @property
    def kit_discounted_total(self) -> Decimal:
        return self.kit_total - self.kit_discount

    @property
    def refer_to_dermatologist(self) -> bool:
        return any(w.level == WarningLevel.SEE_DOCTOR for w in self.plan.warnings)


# ------------------------------------------------------------------------------------------
# recommend
# ------------------------------------------------------------------------------------------

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
DEFAULT_PLAN = PlanView(
    name="Basic gentle routine",
    summary="Cleanse, moisturise and protect from the sun: the base every acne routine builds on.",
    duration_weeks=8,
    steps=(
        PlanStepView(UsageTime.BOTH, "Cleanse", "Wash with a gentle cleanser; do not scrub."),
        PlanStepView(UsageTime.BOTH, "Moisturise", "Apply a light, non-comedogenic moisturiser."),
        PlanStepView(UsageTime.MORNING, "Protect", "Finish with a broad-spectrum sunscreen."),
    ),
    warnings=(
        PlanWarningView(
            WarningLevel.CAUTION,
            "If spots persist after 8 weeks, ask a pharmacist or doctor about a treatment.",
        ),
    ),
)
REFERRAL_WARNING = PlanWarningView(
    WarningLevel.SEE_DOCTOR,
    "Acne of this grade can scar and usually needs prescription treatment: "
    "please see a dermatologist.",
)


def _plan_view(plan: TreatmentPlan) -> PlanView:
    return PlanView(
        name=plan.name,
        summary=plan.summary,
        duration_weeks=plan.duration_weeks,
        steps=tuple(
            PlanStepView(s.timing, s.title, s.instructions, s.from_week) for s in plan.steps.all()
        ),
        warnings=tuple(PlanWarningView(w.level, w.text) for w in plan.warnings.all()),
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


def _with_referral(plan: PlanView, *, condition: SkinCondition, grade: int) -> PlanView:
    """From the condition's referral grade up, every plan tells the shopper to see a doctor."""
    refer = condition.refer_from_grade is not None and grade >= condition.refer_from_grade
    if not refer or any(w.level == WarningLevel.SEE_DOCTOR for w in plan.warnings):
        return plan
    return PlanView(
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
        plan, lines = _plan_view(rule.plan), _rule_lines(rule)
    plan = _with_referral(plan, condition=condition, grade=grade)
    return Recommendation(condition=condition, grade=grade, plan=plan, lines=lines, rule=rule)


def recommend_for_rule(*, rule_id: int, today: date | None = None) -> Recommendation:
    """The recommendation of one rule (for "add this kit"), if the rule is offered today."""
    on = today or timezone.localdate()
    rule = selectors.rule_offered(rule_id=rule_id, on=on)
    if rule is None:
        raise NotFound("This kit is not offered any more.", code="no_kit")
    plan = _with_referral(_plan_view(rule.plan), condition=rule.condition, grade=rule.min_grade)
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


# ------------------------------------------------------------------------------------------
# The kit into the cart
# ------------------------------------------------------------------------------------------


KIT_SOURCE_PREFIX = "recommendation-rule:"


def kit_source(rule: RecommendationRule) -> str:
    """How a rule's kit is named on a cart (``orders.CartKit.source``)."""
    return f"{KIT_SOURCE_PREFIX}{rule.pk}"


def kit_discount_offered(*, source: str, today: date | None = None) -> Decimal | None:
    """For the cart and checkout (``ORDERS_KIT_OFFER_LOOKUP``): the discount percent the kit
    ``source`` is offered at today, 0 once its rule is inactive or out of its date window,
    None for a source that is not a rule's kit."""
    if not source.startswith(KIT_SOURCE_PREFIX):
        return None
    rule_id = source.removeprefix(KIT_SOURCE_PREFIX)
    if not rule_id.isascii() or not rule_id.isdigit():
        return Decimal("0")
    rule = selectors.rule_offered(rule_id=int(rule_id), on=today or timezone.localdate())
    return rule.kit_discount_percent if rule is not None else Decimal("0")


@dataclass
class KitAddResult:
    added: list[tuple[Product, int]] = field(default_factory=list)
    # One sentence per product that could not be added in full, for the shopper.
    problems: list[str] = field(default_factory=list)
    # About the kit discount (e.g. that it applies once per kit), for the shopper.
    notes: list[str] = field(default_factory=list)

    @property
    def units_added(self) -> int:
        return sum(quantity for _, quantity in self.added)


@transaction.atomic
def kit_add_to_cart(*, cart: Cart, recommendation: Recommendation) -> KitAddResult:
    """Add every available product of the kit to ``cart`` in one transaction.

    A product is added up to what stock allows next to what the cart already holds; what could
    not be added (out of stock, not enough left) is described in ``problems``. Nothing is
    added if the kit has no product that can be bought.

    A discounted kit is also recorded on the cart (its rule, percent, products and
    quantities): the cart takes the discount off while it holds the whole kit. Adding the
    same kit again keeps one record, so the discount applies once, to one kit's quantities;
    ``notes`` tells the shopper so.
    """
    result = KitAddResult()
    for line in recommendation.unavailable_lines:
        result.problems.append(f"{line.product} is out of stock and was not added.")
    in_cart = dict(CartLine.objects.filter(cart=cart).values_list("product_id", "quantity"))
    for line in recommendation.kit_lines:
        product = line.product
        room = product.available - in_cart.get(product.pk, 0)
        quantity = min(line.quantity, room)
        if quantity < 1:
            result.problems.append(
                f"{product}: your cart already holds all {product.available} in stock."
            )
            continue
        try:
            cart_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
        except ApplicationError as error:
            # Stock moved since the page was drawn; cart_add re-checked and said why.
            result.problems.append(error.message)
            continue
        result.added.append((product, quantity))
        if quantity < line.quantity:
            result.problems.append(
                f"{product}: only {quantity} of {line.quantity} added, the rest is not in stock."
            )
    if result.added and recommendation.kit_discount_percent > 0:
        _, again = cart_services.cart_kit_record(
            cart=cart,
            source=kit_source(recommendation.rule),
            name=recommendation.kit_title,
            discount_percent=recommendation.kit_discount_percent,
            items=[(line.product.pk, line.quantity) for line in recommendation.kit_lines],
        )
        if again:
            result.notes.append(
                f"The {recommendation.kit_title} was already in your cart: its discount "
                "applies once, so the extra products are at full price."
            )
    return result


# ------------------------------------------------------------------------------------------
# Demo rules
# ------------------------------------------------------------------------------------------


@dataclass
class RulesSeedSummary:
    plans: int = 0
    rules: int = 0
    written: int = 0

    def __str__(self) -> str:
        return f"Demo rules: {self.plans} plans, {self.rules} rules ({self.written} rows written)."


def _upsert(model: type[Model], *, slug: str, values: dict) -> tuple[Model, bool]:
    instance = model.objects.filter(slug=slug).first()
    created = instance is None
    instance = instance or model(slug=slug)
    if not created and all(getattr(instance, k) == v for k, v in values.items()):
        return instance, False
    for key, value in values.items():
        setattr(instance, key, value)
    instance.full_clean()
    instance.save()
    return instance, True


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


@transaction.atomic
def seed_demo_rules(
    *, plans: tuple = demo_data.PLANS, rules: tuple = demo_data.RULES
) -> RulesSeedSummary:
    """Load the demo plans and rules (one per GEA grade band). Running it again changes nothing.

    Needs the demo catalog (its product slugs); a missing product is an error that names it.
    """
    condition = SkinCondition.objects.filter(slug=demo_data.CONDITION_SLUG).first()
    if condition is None:
        raise ValidationError(f"Skin condition {demo_data.CONDITION_SLUG!r} is missing.")
    summary = RulesSeedSummary(plans=len(plans), rules=len(rules))
    plans_by_slug = {}
    for p in plans:
        plan, written = _upsert(
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
        summary.written += written
        plans_by_slug[p.slug] = plan
    slugs = {item.product for r in rules for item in r.items}
    products = {p.slug: p for p in Product.objects.filter(slug__in=slugs)}
    missing = sorted(slugs - products.keys())
    if missing:
        raise ValidationError(
            "The demo rules need these products; seed the demo catalog first: " + ", ".join(missing)
        )
    for r in rules:
        rule, written = _upsert(
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
                "plan": plans_by_slug[r.plan],
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
        summary.written += written
    return summary
