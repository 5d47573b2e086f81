"""Staff-curated recommendations: which plan and products go with which severity grade.

A ``SkinCondition`` carries its grading scale as data (name, top grade, a label per grade), so
rules are validated against rows rather than constants, and the diagnosis app never has to be
imported here. A ``RecommendationRule`` matches a grade range of one condition; its items are
the products of the routine and, bought together, its kit, optionally at a kit discount. Its
``TreatmentPlan`` may be shared by several rules (e.g. the same plan for oily and for dry skin
with different products). A ``ZoneRule`` adds a product to whichever routine a shopper gets when
a skin check finds one face zone inflamed enough (e.g. a spot treatment for the chin).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from catalog.models import Ingredient, Product, ProductRole


class SkinCondition(models.Model):
    """A condition with its severity scale, e.g. acne vulgaris on the GEA scale 0-5."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    scale_name = models.CharField(max_length=100, help_text="e.g. GEA (Global Acne Severity)")
    max_grade = models.PositiveSmallIntegerField(help_text="Grades run from 0 to this value.")
    grade_labels = models.JSONField(
        default=list, help_text='One label per grade, from 0 up: ["clear", "almost clear", ...]'
    )
    # From this grade up every routine says to see a dermatologist, even the default one.
    refer_from_grade = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="From this grade up, advise seeing a dermatologist."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.scale_name})"

    def clean(self) -> None:
        labels = self.grade_labels
        if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
            raise ValidationError({"grade_labels": "Give a list of non-empty labels."})
        if self.max_grade is not None and len(labels) != self.max_grade + 1:
            count = self.max_grade + 1
            raise ValidationError(
                {"grade_labels": f"Give {count} labels, one per grade 0..{self.max_grade}."}
            )
        if self.refer_from_grade is not None and self.refer_from_grade > (self.max_grade or 0):
            raise ValidationError({"refer_from_grade": "Must be a grade of the scale."})
        if self.pk and self.max_grade is not None:
            # Shrinking the scale would leave rules for grades that no longer exist.
            tops = (
                self.rules.aggregate(top=models.Max("max_grade"))["top"],
                *self.zone_rules.aggregate(
                    models.Max("min_severity"), models.Max("min_grade"), models.Max("max_grade")
                ).values(),
            )
            top = max((t for t in tops if t is not None), default=None)
            if top is not None and top > self.max_grade:
                raise ValidationError(
                    {"max_grade": f"Rules cover grades up to {top}; change those rules first."}
                )

    @property
    def grades(self) -> range:
        return range(self.max_grade + 1)

    def grade_label(self, grade: int) -> str:
        return self.grade_labels[grade]


def grade_range_text(low: int, high: int | None) -> str:
    """The grade range in a few characters: "2", "1–3" or "2 up" (no top)."""
    if high is None:
        return f"{low} up" if low else "all"
    return str(low) if low == high else f"{low}–{high}"


class SkinType(models.TextChoices):
    OILY = "oily", "Oily"
    DRY = "dry", "Dry"
    COMBINATION = "combination", "Combination"
    NORMAL = "normal", "Normal"
    SENSITIVE = "sensitive", "Sensitive"


class Zone(models.TextChoices):
    """The face zones a skin check grades. The same keys and labels as the analysis engine's
    (a test keeps them equal), defined here because recommendations never import diagnosis."""

    FOREHEAD = "forehead", "forehead"
    NOSE = "nose", "nose"
    LEFT_CHEEK = "left_cheek", "left cheek"
    RIGHT_CHEEK = "right_cheek", "right cheek"
    CHIN = "chin", "chin and jaw"


class UsageTime(models.TextChoices):
    MORNING = "morning", "Morning"
    EVENING = "evening", "Evening"
    BOTH = "both", "Morning and evening"


class TreatmentPlan(models.Model):
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    summary = models.TextField(blank=True)
    duration_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    # What the plan's cautions rule out, as data the zone rules obey: a zone rule never adds
    # such a product to this plan's routine (nor a stand-in for it).
    excluded_ingredients = models.ManyToManyField(
        Ingredient,
        blank=True,
        related_name="+",
        help_text="Zone rules never add a product with one of these key ingredients to this "
        "plan's routine (e.g. strong over-the-counter actives a doctor should decide on).",
    )
    excluded_products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="+",
        help_text="Zone rules never add these products to this plan's routine.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_weeks__gte=1), name="treatmentplan_duration_gte_1"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PlanStep(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    timing = models.CharField(max_length=10, choices=UsageTime.choices)
    title = models.CharField(max_length=150)
    instructions = models.TextField()
    # A step may start later in the plan ("from week 3, every night").
    from_week = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class WarningLevel(models.TextChoices):
    CAUTION = "caution", "Caution"
    SEE_DOCTOR = "see_doctor", "See a dermatologist"


class PlanWarning(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="warnings")
    position = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=12, choices=WarningLevel.choices)
    text = models.TextField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


# Staff may discount a kit by up to this many percent.
KIT_DISCOUNT_MAX = Decimal("50")
KIT_DISCOUNT_MESSAGE = (
    f"A kit discount is a percentage from 0 to {KIT_DISCOUNT_MAX:.0f} (0 or empty: no discount)."
)


class RecommendationRule(models.Model):
    """Grades ``min_grade..max_grade`` of ``condition`` get ``plan`` and the rule's items.

    Rules may overlap: the active one with the highest ``priority`` wins (ties: a rule for the
    shopper's skin type before a rule for any skin type, then the older rule).
    """

    condition = models.ForeignKey(SkinCondition, on_delete=models.PROTECT, related_name="rules")
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    min_grade = models.PositiveSmallIntegerField()
    max_grade = models.PositiveSmallIntegerField()
    skin_type = models.CharField(
        max_length=20, choices=SkinType.choices, blank=True, help_text="Empty: any skin type."
    )
    priority = models.IntegerField(default=0, help_text="Higher wins where rules overlap.")
    is_active = models.BooleanField(default=True)
    valid_from = models.DateField(null=True, blank=True, help_text="Empty: no start date.")
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: no end date.")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="rules")
    kit_name = models.CharField(max_length=150, blank=True, help_text="Empty: the rule's name.")
    kit_discount_percent = models.DecimalField(
        "kit discount (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        blank=True,
        validators=[
            MinValueValidator(Decimal("0"), message=KIT_DISCOUNT_MESSAGE),
            MaxValueValidator(KIT_DISCOUNT_MAX, message=KIT_DISCOUNT_MESSAGE),
        ],
        help_text=f"Percent off the kit's price when the whole kit is bought at once "
        f"(0–{KIT_DISCOUNT_MAX:.0f}; 0 or empty: no discount).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["condition", "min_grade", "-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_grade__lte=F("max_grade")), name="rule_min_grade_lte_max_grade"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lte=F("valid_until")),
                name="rule_valid_from_lte_valid_until",
            ),
            models.CheckConstraint(
                condition=Q(kit_discount_percent__gte=0)
                & Q(kit_discount_percent__lte=KIT_DISCOUNT_MAX),
                name="rule_kit_discount_percent_0_50",
            ),
        ]
        indexes = [models.Index(fields=["condition", "is_active", "min_grade", "max_grade"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kit_discount_percent is None:
            # An emptied admin field means "no discount", stored as 0 (one way to say none).
            self.kit_discount_percent = Decimal("0")
        if self.min_grade is not None and self.max_grade is not None:
            if self.min_grade > self.max_grade:
                errors["max_grade"] = "The highest grade must not be below the lowest grade."
        if self.condition_id is not None:
            top = self.condition.max_grade
            for field in ("min_grade", "max_grade"):
                value = getattr(self, field)
                if value is not None and value > top and field not in errors:
                    scale = self.condition.scale_name
                    errors[field] = f"{scale} grades run from 0 to {top}; {value} is not one."
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            errors["valid_until"] = "The end date must not be before the start date."
        if errors:
            raise ValidationError(errors)

    @property
    def grade_range_display(self) -> str:
        return grade_range_text(self.min_grade, self.max_grade)

    @property
    def kit_title(self) -> str:
        return self.kit_name or self.name


def _require_active(product: Product) -> None:
    """Staff may only recommend what the shop sells (an inactive product is never shown)."""
    if not product.is_active:
        raise ValidationError({"product": f"{product} is not active; pick an active product."})


class RuleItem(models.Model):
    """A product of a rule's routine: its part, how many, when and how to use it."""

    rule = models.ForeignKey(RecommendationRule, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="rule_items")
    role = models.CharField(
        max_length=20,
        choices=ProductRole.choices,
        blank=True,
        help_text="Empty: the product's own role. "
        "An out-of-stock product is replaced by one of this role.",
    )
    quantity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    when = models.CharField(max_length=10, choices=UsageTime.choices, default=UsageTime.BOTH)
    how_to_use = models.TextField(blank=True)
    why = models.TextField(
        blank=True,
        help_text="Why the shopper gets it, shown beside the product. "
        'Empty: "Part of your routine for moderate acne vulgaris." (their grade).',
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "product"], name="ruleitem_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="ruleitem_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    def clean(self) -> None:
        if self.product_id is None:
            return
        _require_active(self.product)
        if not self.role:
            # Filled here, so every saved item has the role its replacement is searched by.
            self.role = self.product.role


class ZoneRule(models.Model):
    """Adds ``product`` to any routine of ``condition`` when a skin check finds ``zone`` (or,
    with no zone, any zone) at ``min_severity`` or worse; with ``only_when_single_zone``, only
    when no other zone is that bad (a spot treatment suits one inflamed area, not acne all over
    the face)."""

    condition = models.ForeignKey(
        SkinCondition, on_delete=models.PROTECT, related_name="zone_rules"
    )
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    zone = models.CharField(
        max_length=20,
        choices=Zone.choices,
        blank=True,
        help_text="Empty: any zone (the most affected one at the severity).",
    )
    min_severity = models.PositiveSmallIntegerField(
        help_text="The zone's severity, on the condition's scale, from which the product is "
        "added (e.g. 3: moderate or worse in that zone)."
    )
    only_when_single_zone = models.BooleanField(
        default=False,
        help_text="Add it only when this is the one zone at that severity or worse.",
    )
    # The check's overall grades it adds to: a spot treatment suits mild acne, not the severe
    # acne a doctor treats.
    min_grade = models.PositiveSmallIntegerField(
        default=0, help_text="The lowest overall grade whose routine gets the product."
    )
    max_grade = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The highest overall grade whose routine gets the product. "
        "Empty: up to the top of the scale.",
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="zone_rules")
    quantity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    when = models.CharField(max_length=10, choices=UsageTime.choices, default=UsageTime.EVENING)
    how_to_use = models.TextField(blank=True)
    why = models.TextField(
        blank=True,
        help_text="Why the shopper gets it; {zone} becomes the zone's name (“left cheek”). "
        "Empty: “For your left cheek, where your acne vulgaris is moderate or worse.”",
    )
    priority = models.IntegerField(default=0, help_text="Higher comes first within a zone.")
    is_active = models.BooleanField(default=True)
    valid_from = models.DateField(null=True, blank=True, help_text="Empty: no start date.")
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: no end date.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["condition", "zone", "-priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="zonerule_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lte=F("valid_until")),
                name="zonerule_valid_from_lte_valid_until",
            ),
            models.CheckConstraint(
                condition=Q(zone__in=["", *Zone.values]), name="zonerule_zone_known"
            ),
            models.CheckConstraint(
                condition=Q(max_grade__isnull=True) | Q(min_grade__lte=F("max_grade")),
                name="zonerule_min_grade_lte_max_grade",
            ),
        ]
        indexes = [models.Index(fields=["condition", "is_active", "zone"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.condition_id is not None:
            top, scale = self.condition.max_grade, self.condition.scale_name
            for field in ("min_severity", "min_grade", "max_grade"):
                value = getattr(self, field)
                if value is not None and value > top:
                    errors[field] = f"{scale} grades run from 0 to {top}; {value} is not one."
        if (
            self.min_grade is not None
            and self.max_grade is not None
            and self.min_grade > self.max_grade
            and "max_grade" not in errors
        ):
            errors["max_grade"] = "The highest grade must not be below the lowest grade."
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            errors["valid_until"] = "The end date must not be before the start date."
        if self.product_id is not None:
            try:
                _require_active(self.product)
            except ValidationError as error:
                errors.update({k: v[0] for k, v in error.message_dict.items()})
        if errors:
            raise ValidationError(errors)

    @property
    def grade_range_display(self) -> str:
        return grade_range_text(self.min_grade, self.max_grade)

    def covers(self, grade: int) -> bool:
        return self.min_grade <= grade and (self.max_grade is None or grade <= self.max_grade)
