"""Catalog reads: what the storefront, the API and other apps may list and show.

Every product queryset here is built so that listing any number of products costs the same
fixed number of queries: the category and stock come by JOIN, availability is computed by the
database, and the many-to-manys are prefetched only where a page shows them.
"""

from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from catalog.models import Category, Product, SkinConcern
from catalog.search import search_terms

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


# A product whose name is this close (pg_trgm word similarity, 0-1) to the query is found
# even when no word matches: "benzoil" still finds benzoyl peroxide.
TRIGRAM_THRESHOLD = 0.4
SEARCH_CONFIG = "english"


def _names_of(through, *, field: str) -> Subquery:
    """The names of a product's ingredients (or concerns) as one text, for its search vector."""
    names = (
        through.objects.filter(product_id=OuterRef("pk"))
        .values("product_id")
        .annotate(text=StringAgg(f"{field}__name", delimiter=" "))
        .values("text")
    )
    return Coalesce(Subquery(names), Value(""), output_field=TextField())


def _postgres_search(queryset: QuerySet[Product], terms) -> QuerySet[Product]:
    """Every term in the full text (English stemming; the term or one of its synonyms) or,
    for a typo, close to a word of the name (trigrams), with ``relevance`` annotated."""
    vector = (
        SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector(
            _names_of(Product.key_ingredients.through, field="ingredient"),
            weight="A",
            config=SEARCH_CONFIG,
        )
        + SearchVector("brand", weight="B", config=SEARCH_CONFIG)
        + SearchVector(
            _names_of(Product.skin_concerns.through, field="skinconcern"),
            weight="B",
            config=SEARCH_CONFIG,
        )
        + SearchVector("description", weight="C", config=SEARCH_CONFIG)
    )
    queries = [
        reduce(or_, (SearchQuery(word, config=SEARCH_CONFIG) for word in words)) for words in terms
    ]
    similarities = {
        f"similarity_{i}": TrigramWordSimilarity(Value(words[0]), "name")
        for i, words in enumerate(terms)
    }
    each_term = [
        Q(document=query) | Q(**{f"similarity_{i}__gte": TRIGRAM_THRESHOLD})
        for i, query in enumerate(queries)
    ]
    closeness = reduce(lambda a, b: a + b, (F(name) for name in similarities))
    return (
        queryset.annotate(document=vector, **similarities)
        .filter(reduce(and_, each_term))
        .annotate(relevance=SearchRank(F("document"), reduce(and_, queries)) + closeness)
    )


def _substring_search(queryset: QuerySet[Product], terms) -> QuerySet[Product]:
    """SQLite's fallback: each term (or one of its synonyms) in a text of the product."""

    def matches(word: str) -> Q:
        # EXISTS rather than a JOIN, so a product with two matching ingredients is listed once
        # without DISTINCT.
        ingredient = Product.key_ingredients.through.objects.filter(
            product_id=OuterRef("pk"), ingredient__name__icontains=word
        )
        concern = SkinConcern.products.through.objects.filter(
            product_id=OuterRef("pk"), skinconcern__name__icontains=word
        )
        return (
            Q(name__icontains=word)
            | Q(brand__icontains=word)
            | Q(description__icontains=word)
            | Q(Exists(ingredient))
            | Q(Exists(concern))
        )

    found = reduce(and_, (reduce(or_, map(matches, words)) for words in terms))
    return queryset.filter(found).annotate(relevance=Value(0))


def product_list(
    *,
    category_slug: str | None = None,
    search: str | None = None,
    sort: str | None = None,
) -> QuerySet[Product]:
    """Active products, filtered, searched and sorted, each with ``available`` annotated.

    ``search`` matches every word (or a synonym: "pimple" finds acne products, "retinol"
    retinoids) in the name, brand, description, key ingredients or skin concerns. On
    PostgreSQL words are stemmed ("cleansers" finds "cleanser") and a name close to the
    query counts too (trigrams, for typos); without a ``sort`` the best matches come first.
    An unknown ``sort`` key falls back to the default; callers validate user input first.
    """
    queryset = _with_availability(Product.objects.filter(is_active=True))
    if category_slug:
        queryset = queryset.filter(category__slug=category_slug)
    terms = search_terms(search or "")
    if search and not terms:
        return queryset.none()  # only punctuation or words like "the": nothing to match
    if terms:
        if connection.vendor == "postgresql":
            queryset = _postgres_search(queryset, terms)
        else:
            queryset = _substring_search(queryset, terms)
        if not sort:
            return queryset.order_by("-relevance", "name", "id")
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
