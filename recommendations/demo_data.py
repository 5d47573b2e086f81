"""Demo treatment plans and rules for every GEA grade, loaded by ``seed_demo_rules``.

Plain data, no Django. Product slugs are the demo catalog's (catalog/demo_data.py). The
routines follow common first-line acne care (e.g. the AAD and European S3 acne guidelines):
grades 0-1 gentle care and sunscreen; 2 benzoyl peroxide or salicylic acid; 3 a topical
retinoid with benzoyl peroxide; 4-5 a gentle routine and a firm referral to a dermatologist.
Zone rules add to them: benzoyl peroxide as a spot treatment when one zone alone is inflamed
(grades 1-3), and patches for spots on the chin and jaw, where hands pick most (any grade).
The severe plan's caution against strong over-the-counter actives excludes them from its
routine, so no zone rule adds one there.
"""

from dataclasses import dataclass
from decimal import Decimal

CONDITION_SLUG = "acne-vulgaris"


@dataclass(frozen=True)
class DemoPlan:
    slug: str
    name: str
    summary: str
    duration_weeks: int
    steps: tuple[tuple[str, str, str, int], ...]  # (timing, title, instructions, from_week)
    warnings: tuple[tuple[str, str], ...]  # (level, text)
    # Key ingredients (demo catalog names) zone rules may never add to this plan's routine.
    excluded_ingredients: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoItem:
    product: str  # a demo product slug
    when: str
    how_to_use: str
    quantity: int = 1


@dataclass(frozen=True)
class DemoRule:
    slug: str
    name: str
    kit_name: str
    min_grade: int
    max_grade: int
    plan: str  # a DemoPlan slug
    items: tuple[DemoItem, ...]
    skin_type: str = ""
    priority: int = 0
    kit_discount_percent: Decimal = Decimal("0")  # 0: no discount


@dataclass(frozen=True)
class DemoZoneRule:
    slug: str
    name: str
    zone: str  # "" for any zone
    min_severity: int
    only_when_single_zone: bool
    product: str  # a demo product slug
    when: str
    how_to_use: str
    why: str  # may hold {zone}
    quantity: int = 1
    min_grade: int = 0
    max_grade: int | None = None  # None: to the top of the scale


PLANS: tuple[DemoPlan, ...] = (
    DemoPlan(
        slug="gentle-daily-care",
        name="Gentle daily care",
        summary="Keep clear skin clear: a mild cleanser, light moisturiser and daily sunscreen.",
        duration_weeks=8,
        steps=(
            ("morning", "Cleanse", "Wash with the gentle cleanser and lukewarm water.", 1),
            ("both", "Moisturise", "A pea-sized amount of gel moisturiser on the whole face.", 1),
            ("morning", "Sunscreen", "SPF 30 or higher as the last step, every day.", 1),
            ("evening", "Cleanse", "Remove sunscreen and the day's oil; no scrubbing.", 1),
            ("evening", "Spot care", "Put a patch on a single spot overnight; do not squeeze.", 1),
        ),
        warnings=(("caution", "Do not pick or squeeze spots: it can leave marks and scars."),),
    ),
    DemoPlan(
        slug="mild-acne-bpo-bha",
        name="Benzoyl peroxide and salicylic acid",
        summary="For a few spots and blocked pores: benzoyl peroxide kills acne bacteria, "
        "salicylic acid unclogs pores. Results take 6 to 8 weeks.",
        duration_weeks=12,
        steps=(
            ("morning", "Cleanse", "Salicylic acid cleanser: massage in for 30 seconds, rinse.", 1),
            ("morning", "Moisturise", "Oil-free gel moisturiser on the whole face.", 1),
            ("morning", "Sunscreen", "SPF 50 gel cream as the last step.", 1),
            ("evening", "Cleanse", "Salicylic acid cleanser, then pat dry.", 1),
            (
                "evening",
                "Treat",
                "Benzoyl peroxide 2.5% gel, thin layer on the affected areas; "
                "every other evening in week 1, then nightly.",
                1,
            ),
            ("evening", "Moisturise", "Moisturiser after the gel has dried.", 1),
        ),
        warnings=(
            ("caution", "Benzoyl peroxide bleaches towels, pillowcases and clothes."),
            (
                "caution",
                "Some dryness and peeling in the first weeks is normal; use the gel "
                "every other day if your skin stings.",
            ),
        ),
    ),
    DemoPlan(
        slug="moderate-acne-retinoid-bpo",
        name="Retinoid with benzoyl peroxide",
        summary="For many spots and some inflamed bumps: adapalene at night and benzoyl "
        "peroxide in the morning, the combination guidelines recommend first.",
        duration_weeks=12,
        steps=(
            ("morning", "Cleanse", "Gentle hydrating cleanser.", 1),
            ("morning", "Treat", "Benzoyl peroxide 2.5% gel on the affected areas.", 1),
            ("morning", "Sunscreen", "SPF 50 every morning: retinoids make skin sun-sensitive.", 1),
            ("evening", "Cleanse", "Gentle hydrating cleanser; wait until the skin is dry.", 1),
            (
                "evening",
                "Retinoid",
                "A pea-sized amount of adapalene for the whole face, every "
                "second or third night for two weeks.",
                1,
            ),
            ("evening", "Retinoid, nightly", "Adapalene every night if your skin tolerates it.", 3),
            ("evening", "Moisturise", "Barrier repair moisturiser after the retinoid.", 1),
        ),
        warnings=(
            (
                "caution",
                "Introduce retinoids gradually: redness and flaking in the first weeks "
                "are common and settle.",
            ),
            ("caution", "Do not use adapalene if you are pregnant or planning a pregnancy."),
            (
                "see_doctor",
                "If there is no improvement after 12 weeks, or painful deep bumps "
                "appear, see a doctor or dermatologist.",
            ),
        ),
    ),
    DemoPlan(
        slug="severe-acne-see-dermatologist",
        name="Gentle care while you see a dermatologist",
        summary="Severe acne needs prescription treatment. Until your appointment, keep the "
        "skin calm and protected; do not pile on strong actives.",
        duration_weeks=4,
        steps=(
            ("both", "Cleanse", "Gentle hydrating cleanser, fingertips only.", 1),
            ("both", "Moisturise", "Barrier repair moisturiser to calm irritation.", 1),
            ("morning", "Sunscreen", "Mineral SPF 50; the tint evens out redness.", 1),
        ),
        warnings=(
            (
                "see_doctor",
                "Book an appointment with a dermatologist: severe acne can leave "
                "permanent scars, and prescription treatments work much better than shop products.",
            ),
            ("caution", "Do not add strong over-the-counter actives without medical advice."),
        ),
        # The caution above, as data: no zone rule adds these to this routine.
        excluded_ingredients=(
            "Benzoyl peroxide",
            "Salicylic acid",
            "Adapalene",
            "Azelaic acid",
            "Sulfur",
            "Tea tree oil",
        ),
    ),
)

RULES: tuple[DemoRule, ...] = (
    DemoRule(
        slug="gea-0-1-gentle-care",
        name="GEA 0–1: gentle care",
        kit_name="Clear skin kit",
        min_grade=0,
        max_grade=1,
        plan="gentle-daily-care",
        items=(
            DemoItem("gentle-hydrating-cleanser", "both", "Morning and evening, lukewarm water."),
            DemoItem("oil-free-gel-moisturizer", "both", "A pea-sized amount after cleansing."),
            DemoItem("spf-30-fluid", "morning", "Last step of the morning routine."),
            DemoItem("hydrocolloid-spot-patches", "evening", "One patch per spot, overnight."),
        ),
    ),
    DemoRule(
        slug="gea-2-bpo-bha",
        name="GEA 2: benzoyl peroxide and salicylic acid",
        kit_name="Mild acne kit",
        min_grade=2,
        max_grade=2,
        plan="mild-acne-bpo-bha",
        kit_discount_percent=Decimal("10"),
        items=(
            DemoItem("salicylic-acid-2-cleanser", "both", "Massage in for 30 seconds, rinse."),
            DemoItem("benzoyl-peroxide-2-5-gel", "evening", "Thin layer on the affected areas."),
            DemoItem("oil-free-gel-moisturizer", "both", "After cleansing or the gel."),
            DemoItem("spf-50-gel-cream", "morning", "Last step of the morning routine."),
        ),
    ),
    DemoRule(
        slug="gea-3-retinoid-bpo",
        name="GEA 3: retinoid with benzoyl peroxide",
        kit_name="Moderate acne kit",
        min_grade=3,
        max_grade=3,
        plan="moderate-acne-retinoid-bpo",
        kit_discount_percent=Decimal("10"),
        items=(
            DemoItem("gentle-hydrating-cleanser", "both", "Morning and evening."),
            DemoItem("benzoyl-peroxide-2-5-gel", "morning", "Thin layer on the affected areas."),
            DemoItem("adapalene-0-1-gel", "evening", "Pea-sized amount, start every other night."),
            DemoItem("barrier-repair-moisturizer", "both", "After treatments have dried."),
            DemoItem("spf-50-gel-cream", "morning", "Every morning, also when cloudy."),
            DemoItem("sulfur-spot-treatment", "evening", "On single inflamed spots overnight."),
        ),
    ),
    DemoRule(
        slug="gea-4-5-see-dermatologist",
        name="GEA 4–5: gentle care and dermatologist",
        kit_name="Calm skin kit",
        min_grade=4,
        max_grade=5,
        plan="severe-acne-see-dermatologist",
        items=(
            DemoItem("gentle-hydrating-cleanser", "both", "Fingertips only, no washcloth."),
            DemoItem("barrier-repair-moisturizer", "both", "Morning and evening."),
            DemoItem("tinted-mineral-spf-50", "morning", "Last step of the morning routine."),
        ),
    ),
)

ZONE_RULES: tuple[DemoZoneRule, ...] = (
    DemoZoneRule(
        slug="one-inflamed-zone-bpo-spot",
        name="One inflamed zone: benzoyl peroxide as a spot treatment",
        zone="",
        min_severity=3,
        only_when_single_zone=True,
        product="benzoyl-peroxide-2-5-gel",
        when="evening",
        how_to_use="A thin layer on the inflamed area only, once a day.",
        why="A spot treatment for the inflamed spots on your {zone}, the one area that needs it.",
        # Mild to moderate acne; severe acne is a dermatologist's to treat.
        min_grade=1,
        max_grade=3,
    ),
    DemoZoneRule(
        slug="chin-jaw-spot-patches",
        name="Chin and jaw: spot patches",
        zone="chin",
        min_severity=2,
        only_when_single_zone=False,
        product="hydrocolloid-spot-patches",
        when="evening",
        how_to_use="One patch per open spot, overnight.",
        why="Patches keep fingers off the spots on your {zone} and help them heal.",
    ),
)
