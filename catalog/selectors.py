"""Catalog reads: what the storefront, the API and other apps may list and show.

Every product queryset here is built so that listing any number of products costs the same
fixed number of queries: the category and stock come by JOIN, availability is computed by the
database, and the many-to-manys are prefetched only where a page shows them.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest

from catalog.models import Category, Product

# Below this many units a product page says "only N left".
LOW_STOCK_THRESHOLD = 5


@dataclass(frozen=True)
class SortOption:
    key: str
    label: str
    order_by: tuple[str, ...]


# The storefront and the API accept the same keys; the first one is the default.
SORT_OPTIONS: tuple[SortOption, ...] = (
    SortOption("name", "Name (A–Z)", ("name", "id")),
    SortOption("price", "Price: low to high", ("price", "name", "id")),
    SortOption("-price", "Price: high to low", ("-price", "name", "id")),
    SortOption("newest", "Newest first", ("-created_at", "-id")),
)
SORT_BY_KEY: dict[str, SortOption] = {option.key: option for option in SORT_OPTIONS}
DEFAULT_SORT = SORT_OPTIONS[0].key


def _with_availability(queryset: QuerySet[Product]) -> QuerySet[Product]:
    # A product without a Stock row (e.g. just created in admin) counts as sold out.
    available = Greatest(
        Coalesce("stock__quantity", Value(0)) - Coalesce("stock__allocated", Value(0)),
        Value(0),
        output_field=IntegerField(),
    )
    return queryset.select_related("category", "stock").annotate(available=available)


def product_list(
    *,
    category_slug: str | None = None,
    search: str | None = None,
    sort: str | None = None,
) -> QuerySet[Product]:
    """Active products, filtered, searched and sorted, each with ``available`` annotated.

    ``search`` matches name, brand, description or a key ingredient's name, case-insensitively.
    An unknown ``sort`` key falls back to the default; callers validate user input first.
    """
    queryset = _with_availability(Product.objects.filter(is_active=True))
    if category_slug:
        queryset = queryset.filter(category__slug=category_slug)
    if search:
        # EXISTS rather than a JOIN, so a product with two matching ingredients is listed once
        # without DISTINCT.
        ingredient_match = Product.key_ingredients.through.objects.filter(
            product_id=OuterRef("pk"), ingredient__name__icontains=search
        )
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(brand__icontains=search)
            | Q(description__icontains=search)
            | Q(Exists(ingredient_match))
        )
    option = SORT_BY_KEY.get(sort or DEFAULT_SORT, SORT_BY_KEY[DEFAULT_SORT])
    return queryset.order_by(*option.order_by)


def product_detail_queryset() -> QuerySet[Product]:
    """Active products with everything a product page shows, for a lookup by slug."""
    return _with_availability(Product.objects.filter(is_active=True)).prefetch_related(
        "key_ingredients", "skin_concerns"
    )


def category_list() -> QuerySet[Category]:
    """Categories that have at least one active product, with ``product_count`` annotated."""
    return (
        Category.objects.annotate(
            product_count=Count("products", filter=Q(products__is_active=True))
        )
        .filter(product_count__gt=0)
        .order_by("position", "name")
    )


def stock_status(available: int) -> str:
    """A shopper-facing word for a stock level: ``in_stock``, ``low`` or ``out``."""
    if available <= 0:
        return "out"
    if available <= LOW_STOCK_THRESHOLD:
        return "low"
    return "in_stock"
