"""API shapes of recommendations and the kit request."""

from django.conf import settings
from rest_framework import serializers

from catalog.models import ProductRole
from orders.serializers import CartSerializer
from recommendations.models import SkinType, UsageTime, WarningLevel, Zone
from recommendations.services.zones import parse_zones


class RoutineQuerySerializer(serializers.Serializer):
    """What narrows a routine down besides the grade."""

    # Blank means "not given", as browsers send empty form fields.
    condition = serializers.SlugField(
        required=False, allow_blank=True, help_text="A skin condition's slug; default: acne."
    )
    skin_type = serializers.ChoiceField(choices=SkinType.choices, required=False, allow_blank=True)


class _ZonesQueryField(serializers.CharField):
    """``chin:3.4,left_cheek:2`` as a list of zone findings (see ``parse_zones``)."""

    def to_internal_value(self, data) -> list[dict]:
        try:
            return parse_zones(super().to_internal_value(data))
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error


class RecommendationQuerySerializer(RoutineQuerySerializer):
    grade = serializers.IntegerField(min_value=0, help_text="A grade of the condition's scale.")
    zones = _ZonesQueryField(
        required=False,
        allow_blank=True,
        help_text="A skin check's zone findings, `zone:severity` separated by commas (e.g. "
        f"`chin:3.4,left_cheek:2`); zones: {', '.join(Zone.values)}; severities on the "
        "condition's scale. Zone rules may add products for them.",
    )


class _JSONIntegerField(serializers.IntegerField):
    """A JSON number only: DRF would otherwise also take "2" or 2.0 for 2."""

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class _JSONSlugField(serializers.SlugField):
    """A JSON string only: DRF would otherwise turn 0 into "0"."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class KitRequestSerializer(serializers.Serializer):
    """``rule`` (the kit a recommendation named), ``grade`` (today's kit for it) or
    ``diagnosis`` (one's own skin check: its zone findings, and its grade if neither is given).
    """

    rule = _JSONIntegerField(
        min_value=1, required=False, help_text="`kit.rule` of a recommendation."
    )
    grade = _JSONIntegerField(min_value=0, required=False)
    condition = _JSONSlugField(required=False, allow_blank=True)
    skin_type = serializers.ChoiceField(choices=SkinType.choices, required=False, allow_blank=True)
    diagnosis = serializers.UUIDField(
        required=False,
        help_text="`kit.diagnosis` of a recommendation: the id of one of your skin checks. The "
        "products its zone findings add join the kit; another's check is 404.",
    )

    def validate(self, attrs: dict) -> dict:
        if "zones" in self.initial_data:
            # Zones typed by the client would buy a zone rule's product with no check behind it.
            raise serializers.ValidationError(
                {"zones": "Zones come from your skin check: send its id as `diagnosis`."}
            )
        if not attrs.keys() & {"rule", "grade", "diagnosis"}:
            raise serializers.ValidationError("Give `rule`, `grade` or `diagnosis`.")
        return attrs


class _ConditionSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    scale_name = serializers.CharField()
    max_grade = serializers.IntegerField()


class _StepSerializer(serializers.Serializer):
    timing = serializers.ChoiceField(choices=UsageTime.choices)
    title = serializers.CharField()
    instructions = serializers.CharField()
    from_week = serializers.IntegerField()


class _WarningSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=WarningLevel.choices)
    text = serializers.CharField()
    conditional = serializers.BooleanField(
        help_text="True: advice for later (a grade the referral rule does not refer), "
        "not a referral now."
    )


class _PlanSerializer(serializers.Serializer):
    name = serializers.CharField()
    summary = serializers.CharField()
    duration_weeks = serializers.IntegerField()
    steps = _StepSerializer(many=True)
    warnings = _WarningSerializer(many=True)


class _ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    name = serializers.CharField(source="__str__")
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    available = serializers.IntegerField(help_text="Units that can be ordered.")


class _LineSerializer(serializers.Serializer):
    product = _ProductSerializer()
    role = serializers.ChoiceField(choices=ProductRole.choices)
    quantity = serializers.IntegerField()
    when = serializers.ChoiceField(choices=UsageTime.choices)
    how_to_use = serializers.CharField()
    in_stock = serializers.BooleanField(help_text="False: unavailable, left out of the kit.")
    substitute_for = _ProductSerializer(
        allow_null=True, help_text="The out-of-stock product this one replaces."
    )
    line_total = serializers.DecimalField(max_digits=10, decimal_places=2)
    why = serializers.CharField(help_text="Why the shopper gets it, in their words.")


class _ZoneSerializer(serializers.Serializer):
    zone = serializers.ChoiceField(choices=Zone.choices)
    label = serializers.CharField()
    severity = serializers.FloatField()


class _RuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _KitSerializer(serializers.Serializer):
    rule = serializers.IntegerField(
        source="rule.pk",
        allow_null=True,
        help_text="Post it to /cart/kits/; null: default routine.",
    )
    diagnosis = serializers.CharField(
        source="check",
        help_text="The skin check whose zone products are in the kit: post it to /cart/kits/ "
        "with `rule`. Empty: the kit holds the routine's products only.",
    )
    title = serializers.CharField(source="kit_title")
    total = serializers.DecimalField(
        source="kit_total",
        max_digits=10,
        decimal_places=2,
        help_text="The kit's full price: its products at their own prices.",
    )
    discount_percent = serializers.DecimalField(
        source="kit_discount_percent",
        max_digits=5,
        decimal_places=2,
        help_text="Percent off when the whole kit is bought at once; 0: no discount.",
    )
    discount = serializers.DecimalField(
        source="kit_discount",
        max_digits=10,
        decimal_places=2,
        help_text="What the discount takes off `total`.",
    )
    discounted_total = serializers.DecimalField(
        source="kit_discounted_total",
        max_digits=10,
        decimal_places=2,
        help_text="What the whole kit costs in the cart.",
    )
    currency = serializers.SerializerMethodField()
    product_count = serializers.SerializerMethodField()

    def get_currency(self, recommendation) -> str:
        return settings.SHOP_CURRENCY

    def get_product_count(self, recommendation) -> int:
        return len(recommendation.kit_lines)


class RecommendationSerializer(serializers.Serializer):
    """A ``recommendations.services.values.Recommendation``."""

    condition = _ConditionSerializer()
    grade = serializers.IntegerField()
    grade_label = serializers.CharField()
    is_default = serializers.BooleanField(help_text="True: no rule matched; basic care.")
    rule = _RuleSerializer(allow_null=True)
    plan = _PlanSerializer()
    lines = _LineSerializer(many=True)
    zones = _ZoneSerializer(
        many=True, help_text="The zone findings the routine was made for, most affected first."
    )
    kit = _KitSerializer(source="*")
    refer_to_dermatologist = serializers.BooleanField()


class _AddedSerializer(serializers.Serializer):
    product = _ProductSerializer()
    quantity = serializers.IntegerField()


class KitAddResultSerializer(serializers.Serializer):
    added = _AddedSerializer(many=True)
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="What could not be added, and why."
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="About the kit discount, e.g. that it applies once.",
    )
    cart = CartSerializer()
