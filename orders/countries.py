"""The countries the shop ships to, by the name an order keeps (``Order.country``)."""

# The European Economic Area, Switzerland and the United Kingdom: the shop sells in one
# currency (SHOP_CURRENCY, euros by default) at one flat shipping fee.
COUNTRIES: tuple[str, ...] = (
    "Austria",
    "Belgium",
    "Bulgaria",
    "Croatia",
    "Cyprus",
    "Czechia",
    "Denmark",
    "Estonia",
    "Finland",
    "France",
    "Germany",
    "Greece",
    "Hungary",
    "Iceland",
    "Ireland",
    "Italy",
    "Latvia",
    "Liechtenstein",
    "Lithuania",
    "Luxembourg",
    "Malta",
    "Netherlands",
    "Norway",
    "Poland",
    "Portugal",
    "Romania",
    "Slovakia",
    "Slovenia",
    "Spain",
    "Sweden",
    "Switzerland",
    "United Kingdom",
)

COUNTRY_CHOICES: list[tuple[str, str]] = [(name, name) for name in COUNTRIES]
