"""The demo acne-care catalog that `manage.py seed_demo` loads.

Plain data, no Django: the recommendations work refers to these product slugs, and the seed
service turns them into rows. Brands are invented; strengths and directions follow common
over-the-counter acne care.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    name: str
    description: str
    position: int


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    name: str
    brand: str
    category: str  # a DemoCategory slug
    role: str  # a catalog.models.ProductRole value
    price: Decimal
    description: str
    ingredients: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    stock: int = 25
    # How the generated picture looks: see catalog.images.SHAPES.
    shape: str = "bottle"
    colour: str = "#4a7c8c"


CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory("cleansers", "Cleansers", "Wash off oil and dirt without stripping the skin.", 10),
    DemoCategory("treatments", "Treatments", "Actives that clear and prevent breakouts.", 20),
    DemoCategory("moisturizers", "Moisturizers", "Light, non-comedogenic hydration.", 30),
    DemoCategory("sunscreens", "Sunscreens", "Daily UV protection that will not clog pores.", 40),
    DemoCategory("spot-care", "Spot care", "Targeted help for single blemishes.", 50),
)

# Ingredient and concern names; slugs are derived from them by the seed service.
INGREDIENTS: tuple[str, ...] = (
    "Adapalene",
    "Azelaic acid",
    "Benzoyl peroxide",
    "Ceramides",
    "Glycerin",
    "Hyaluronic acid",
    "Hydrocolloid",
    "Niacinamide",
    "Salicylic acid",
    "Sulfur",
    "Tea tree oil",
    "Titanium dioxide",
    "Zinc oxide",
    "Zinc PCA",
)
CONCERNS: tuple[str, ...] = (
    "Acne",
    "Blackheads",
    "Dryness",
    "Oiliness",
    "Post-acne marks",
    "Redness",
    "Sensitivity",
    "Sun protection",
    "Whiteheads",
)

PRODUCTS: tuple[DemoProduct, ...] = (
    # --- Cleansers ---------------------------------------------------------------------------
    DemoProduct(
        slug="gentle-hydrating-cleanser",
        name="Gentle Hydrating Cleanser",
        brand="Dermaclar",
        category="cleansers",
        role="cleanser",
        price=Decimal("11.90"),
        description="A soap-free, fragrance-free cream cleanser for sensitive or irritated skin, "
        "and for skin dried out by acne treatments. Use morning and evening.",
        ingredients=("Ceramides", "Glycerin"),
        concerns=("Sensitivity", "Dryness"),
        shape="bottle",
        colour="#6fa8dc",
    ),
    DemoProduct(
        slug="foaming-balancing-cleanser",
        name="Foaming Balancing Cleanser",
        brand="Puraskin",
        category="cleansers",
        role="cleanser",
        price=Decimal("12.50"),
        description="A light gel-to-foam cleanser that removes excess oil without a tight "
        "feeling afterwards. Suits oily and combination skin.",
        ingredients=("Niacinamide", "Glycerin"),
        concerns=("Oiliness", "Acne"),
        shape="bottle",
        colour="#76a5af",
    ),
    DemoProduct(
        slug="salicylic-acid-2-cleanser",
        name="Salicylic Acid 2% Cleanser",
        brand="ClearLab",
        category="cleansers",
        role="cleanser",
        price=Decimal("13.90"),
        description="A daily exfoliating cleanser with 2% salicylic acid (BHA) that loosens "
        "blackheads and whiteheads inside the pore. Start once a day.",
        ingredients=("Salicylic acid",),
        concerns=("Blackheads", "Whiteheads", "Acne", "Oiliness"),
        shape="tube",
        colour="#3d85c6",
    ),
    DemoProduct(
        slug="benzoyl-peroxide-5-wash",
        name="Benzoyl Peroxide 5% Acne Wash",
        brand="ClearLab",
        category="cleansers",
        role="cleanser",
        price=Decimal("14.90"),
        description="A creamy wash with 5% benzoyl peroxide for inflamed spots on the face, "
        "chest and back. Leave on for a minute before rinsing. Bleaches fabrics.",
        ingredients=("Benzoyl peroxide",),
        concerns=("Acne",),
        shape="tube",
        colour="#cc4125",
    ),
    # --- Treatments --------------------------------------------------------------------------
    DemoProduct(
        slug="benzoyl-peroxide-2-5-gel",
        name="Benzoyl Peroxide 2.5% Gel",
        brand="ClearLab",
        category="treatments",
        role="treatment",
        price=Decimal("9.90"),
        description="A leave-on gel with 2.5% benzoyl peroxide: as effective as stronger "
        "strengths for most people, with less dryness. Thin layer once a day.",
        ingredients=("Benzoyl peroxide",),
        concerns=("Acne",),
        shape="tube",
        colour="#e06666",
    ),
    DemoProduct(
        slug="benzoyl-peroxide-5-gel",
        name="Benzoyl Peroxide 5% Gel",
        brand="ClearLab",
        category="treatments",
        role="treatment",
        price=Decimal("10.90"),
        description="A leave-on gel with 5% benzoyl peroxide for moderate inflamed acne. "
        "Start every other day; bleaches towels and pillowcases.",
        ingredients=("Benzoyl peroxide",),
        concerns=("Acne",),
        shape="tube",
        colour="#cc0000",
    ),
    DemoProduct(
        slug="adapalene-0-1-gel",
        name="Adapalene 0.1% Gel",
        brand="Retinova",
        category="treatments",
        role="treatment",
        price=Decimal("16.90"),
        description="A retinoid gel that keeps pores from clogging and treats comedones. "
        "Pea-sized amount in the evening; expect some dryness in the first weeks. "
        "Use sunscreen during the day; not during pregnancy.",
        ingredients=("Adapalene",),
        concerns=("Acne", "Blackheads", "Whiteheads"),
        shape="tube",
        colour="#8e7cc3",
    ),
    DemoProduct(
        slug="azelaic-acid-10-cream",
        name="Azelaic Acid 10% Cream",
        brand="Dermaclar",
        category="treatments",
        role="treatment",
        price=Decimal("18.50"),
        description="A gentle cream with 10% azelaic acid that calms redness and fades "
        "post-acne marks. Suitable for sensitive skin; twice a day.",
        ingredients=("Azelaic acid",),
        concerns=("Acne", "Redness", "Post-acne marks", "Sensitivity"),
        shape="tube",
        colour="#c27ba0",
    ),
    DemoProduct(
        slug="azelaic-acid-15-gel",
        name="Azelaic Acid 15% Gel",
        brand="Dermaclar",
        category="treatments",
        role="treatment",
        price=Decimal("22.90"),
        description="A lightweight gel with 15% azelaic acid for persistent spots and "
        "the dark marks they leave. Twice a day on clean skin.",
        ingredients=("Azelaic acid",),
        concerns=("Acne", "Post-acne marks", "Redness"),
        shape="tube",
        colour="#a64d79",
    ),
    DemoProduct(
        slug="niacinamide-10-serum",
        name="Niacinamide 10% + Zinc Serum",
        brand="Puraskin",
        category="treatments",
        role="treatment",
        price=Decimal("8.90"),
        description="A water-light serum with 10% niacinamide and 1% zinc PCA that reduces "
        "shine and the look of redness. Morning and evening, before moisturizer.",
        ingredients=("Niacinamide", "Zinc PCA"),
        concerns=("Oiliness", "Redness", "Post-acne marks"),
        shape="dropper",
        colour="#93c47d",
    ),
    DemoProduct(
        slug="bha-2-leave-on-exfoliant",
        name="BHA 2% Leave-On Exfoliant",
        brand="Puraskin",
        category="treatments",
        role="treatment",
        price=Decimal("15.90"),
        description="A leave-on liquid with 2% salicylic acid that clears blackheads and "
        "smooths texture. Once a day, after cleansing.",
        ingredients=("Salicylic acid",),
        concerns=("Blackheads", "Whiteheads", "Oiliness"),
        shape="bottle",
        colour="#45818e",
    ),
    # --- Moisturizers ------------------------------------------------------------------------
    DemoProduct(
        slug="oil-free-gel-moisturizer",
        name="Oil-Free Gel Moisturizer",
        brand="Puraskin",
        category="moisturizers",
        role="moisturizer",
        price=Decimal("13.50"),
        description="A non-comedogenic water gel that hydrates without shine. Suits oily "
        "skin and layers well under sunscreen.",
        ingredients=("Hyaluronic acid", "Niacinamide"),
        concerns=("Oiliness", "Acne"),
        shape="jar",
        colour="#6aa84f",
    ),
    DemoProduct(
        slug="barrier-repair-moisturizer",
        name="Barrier Repair Moisturizer",
        brand="Dermaclar",
        category="moisturizers",
        role="moisturizer",
        price=Decimal("15.90"),
        description="A rich but non-comedogenic cream with ceramides that soothes the "
        "dryness and peeling of retinoid and benzoyl peroxide treatments.",
        ingredients=("Ceramides", "Glycerin", "Hyaluronic acid"),
        concerns=("Dryness", "Sensitivity"),
        shape="jar",
        colour="#3c78d8",
    ),
    DemoProduct(
        slug="mattifying-moisturizer",
        name="Mattifying Daily Moisturizer",
        brand="ClearLab",
        category="moisturizers",
        role="moisturizer",
        price=Decimal("14.50"),
        description="A light lotion with zinc PCA that keeps shine down all day. "
        "Non-comedogenic and fragrance-free.",
        ingredients=("Zinc PCA", "Glycerin"),
        concerns=("Oiliness",),
        shape="bottle",
        colour="#38761d",
    ),
    # --- Sunscreens --------------------------------------------------------------------------
    DemoProduct(
        slug="spf-30-fluid",
        name="Clear Skin Fluid SPF 30",
        brand="Solara",
        category="sunscreens",
        role="sunscreen",
        price=Decimal("16.50"),
        description="A weightless, non-comedogenic daily fluid with broad-spectrum SPF 30. "
        "No white cast, dries to a matte finish.",
        ingredients=("Zinc oxide", "Niacinamide"),
        concerns=("Sun protection", "Oiliness"),
        shape="bottle",
        colour="#f1c232",
    ),
    DemoProduct(
        slug="spf-50-gel-cream",
        name="Anti-Shine Gel Cream SPF 50+",
        brand="Solara",
        category="sunscreens",
        role="sunscreen",
        price=Decimal("18.90"),
        description="Very high, broad-spectrum protection for skin on retinoids or acids, "
        "which burns more easily. Oil-free gel cream.",
        ingredients=("Titanium dioxide", "Glycerin"),
        concerns=("Sun protection", "Acne"),
        shape="tube",
        colour="#e69138",
    ),
    DemoProduct(
        slug="tinted-mineral-spf-50",
        name="Tinted Mineral Sunscreen SPF 50",
        brand="Solara",
        category="sunscreens",
        role="sunscreen",
        price=Decimal("21.90"),
        description="A mineral sunscreen with a sheer universal tint that evens out redness "
        "and marks. Gentle on sensitive skin.",
        ingredients=("Zinc oxide", "Titanium dioxide"),
        concerns=("Sun protection", "Redness", "Post-acne marks", "Sensitivity"),
        shape="tube",
        colour="#b45f06",
        stock=4,
    ),
    # --- Spot care ---------------------------------------------------------------------------
    DemoProduct(
        slug="hydrocolloid-spot-patches",
        name="Hydrocolloid Spot Patches (36)",
        brand="Dotclear",
        category="spot-care",
        role="spot_care",
        price=Decimal("7.90"),
        description="Thin, clear patches that absorb fluid from open spots, protect them "
        "from picking and help them heal overnight. 36 patches in two sizes.",
        ingredients=("Hydrocolloid",),
        concerns=("Acne", "Whiteheads"),
        shape="patches",
        colour="#9fc5e8",
        stock=60,
    ),
    DemoProduct(
        slug="salicylic-spot-patches",
        name="Salicylic Microdart Patches (24)",
        brand="Dotclear",
        category="spot-care",
        role="spot_care",
        price=Decimal("11.90"),
        description="Patches with tiny dissolving points that carry salicylic acid into "
        "early, closed spots. Use on a spot as soon as you feel it.",
        ingredients=("Hydrocolloid", "Salicylic acid"),
        concerns=("Acne",),
        shape="patches",
        colour="#674ea7",
    ),
    DemoProduct(
        slug="sulfur-spot-treatment",
        name="Sulfur 10% Overnight Spot Treatment",
        brand="Retinova",
        category="spot-care",
        role="spot_care",
        price=Decimal("9.50"),
        description="A drying paste with 10% sulfur for single inflamed spots. Dab on at "
        "night; do not rub in.",
        ingredients=("Sulfur", "Zinc oxide"),
        concerns=("Acne", "Redness"),
        shape="jar",
        colour="#bf9000",
        stock=0,
    ),
    DemoProduct(
        slug="tea-tree-spot-gel",
        name="Tea Tree 5% Spot Gel",
        brand="Puraskin",
        category="spot-care",
        role="spot_care",
        price=Decimal("6.90"),
        description="A clear gel with 5% tea tree oil for mild spots. Some people react "
        "to tea tree oil: patch-test first.",
        ingredients=("Tea tree oil",),
        concerns=("Acne",),
        shape="tube",
        colour="#274e13",
    ),
)
