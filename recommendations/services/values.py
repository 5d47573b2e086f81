"""What a recommendation is made of: plain values, so templates, the API and the diagnosis
result page read the same thing whether it came from a rule or from the default routine."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from catalog.models import Product, ProductRole
from orders.selectors import kit_discount
from recommendations.models import (
    RecommendationRule,
    SkinCondition,
    UsageTime,
    WarningLevel,
    Zone,
    ZoneRule,
)


@dataclass(frozen=True)
class RoutineStep:
    """One step of a routine's plan (a rule's ``PlanStep``, or one of the default plan's)."""

    timing: str
    title: str
    instructions: str
    from_week: int = 1

    @property
    def timing_label(self) -> str:
        return UsageTime(self.timing).label


@dataclass(frozen=True)
class RoutineWarning:
    """A warning of a routine's plan (a rule's ``PlanWarning``, or a built-in one).

    ``conditional``: a "see a doctor" warning for a grade the condition's referral rule does
    not refer ("if there is no improvement after 12 weeks…"): advice for later, not a referral.
    """

    level: str
    text: str
    conditional: bool = False

    @property
    def level_label(self) -> str:
        if self.conditional:
            return "When to see a doctor"
        return WarningLevel(self.level).label

    @property
    def refers(self) -> bool:
        """This warning sends the shopper to a dermatologist now."""
        return self.level == WarningLevel.SEE_DOCTOR and not self.conditional


@dataclass(frozen=True)
class RoutinePlan:
    """The treatment plan a shopper is shown: a rule's ``TreatmentPlan``, or the default one."""

    name: str
    summary: str
    duration_weeks: int
    steps: tuple[RoutineStep, ...]
    warnings: tuple[RoutineWarning, ...]

    @property
    def morning_steps(self) -> list[RoutineStep]:
        return [s for s in self.steps if s.timing in (UsageTime.MORNING, UsageTime.BOTH)]

    @property
    def evening_steps(self) -> list[RoutineStep]:
        return [s for s in self.steps if s.timing in (UsageTime.EVENING, UsageTime.BOTH)]

    @property
    def times(self) -> list[tuple[str, list[RoutineStep]]]:
        return [("Morning", self.morning_steps), ("Evening", self.evening_steps)]


@dataclass(frozen=True)
class ZoneFinding:
    """How bad one face zone is, on the condition's scale (a skin check's zone finding)."""

    zone: str
    severity: float

    @property
    def label(self) -> str:
        return Zone(self.zone).label


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
    # Why the shopper gets it, in their words ("A spot treatment for your chin and jaw.").
    why: str = ""
    # The zone rule that added it; None for the routine's own products.
    zone_rule: ZoneRule | None = None

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
    plan: RoutinePlan
    lines: tuple[RecommendationLine, ...]
    # None for the default routine.
    rule: RecommendationRule | None = None
    # The zone findings the routine was made for (most affected first); empty: none given.
    zones: tuple[ZoneFinding, ...] = ()
    # The id of the shopper's skin check the zones come from; "" when they were typed in.
    check: str = ""
    # When staff last changed what made this routine (its rule, plan and zone rules): a
    # routine is always today's rules', even for an older skin check, and says so.
    rules_updated: datetime | None = None

    @property
    def is_default(self) -> bool:
        return self.rule is None

    @property
    def grade_label(self) -> str:
        return self.condition.grade_label(self.grade)

    @property
    def zones_text(self) -> str:
        """``zones`` as the API's query and the kit form carry them: "chin:3.4,nose:1.0".
        Exact (repr), so a severity just under a rule's threshold stays under it in the kit."""
        return ",".join(f"{z.zone}:{z.severity!r}" for z in self.zones)

    @property
    def kit_title(self) -> str:
        return self.rule.kit_title if self.rule else self.plan.name

    @property
    def kit_lines(self) -> list[RecommendationLine]:
        # Zone additions join the kit and its discount when they answer a skin check the
        # kit form can name (``check``); zones typed into a query only show what they add.
        return [
            line
            for line in self.lines
            if line.in_stock and (line.zone_rule is None or self.check)
        ]

    @property
    def unavailable_lines(self) -> list[RecommendationLine]:
        return [
            line
            for line in self.lines
            if not line.in_stock and (line.zone_rule is None or self.check)
        ]

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
        return any(w.refers for w in self.plan.warnings)
