from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import selectors
from catalog.models import Product, Stock
from tests.catalog.factories import CategoryFactory, IngredientFactory, ProductFactory

pytestmark = pytest.mark.django_db


def slugs(queryset) -> list[str]:
    return [product.slug for product in queryset]


def test_only_active_products_are_listed():
    ProductFactory(slug="on-sale")
    ProductFactory(slug="withdrawn", is_active=False)

    assert slugs(selectors.product_list()) == ["on-sale"]


def test_category_filter():
    cleansers = CategoryFactory(slug="cleansers")
    ProductFactory(slug="wash", category=cleansers)
    ProductFactory(slug="gel")

    assert slugs(selectors.product_list(category_slug="cleansers")) == ["wash"]


@pytest.mark.parametrize(
    "term",
    ["clarifying", "CLEARLAB", "pore-clearing", "salicylic"],
    ids=["name", "brand", "description", "ingredient"],
)
def test_search_matches_name_brand_description_and_ingredient(term):
    salicylic = IngredientFactory(name="Salicylic acid")
    ProductFactory(
        slug="match",
        name="Clarifying wash",
        brand="ClearLab",
        description="A pore-clearing wash.",
        key_ingredients=[salicylic],
    )
    ProductFactory(slug="other", name="Plain cream", brand="Other", description="Soft.")

    assert slugs(selectors.product_list(search=term)) == ["match"]


def test_search_lists_a_product_once_when_several_ingredients_match():
    ProductFactory(
        slug="double",
        key_ingredients=[
            IngredientFactory(name="Zinc oxide"),
            IngredientFactory(name="Zinc PCA"),
        ],
    )

    assert slugs(selectors.product_list(search="zinc")) == ["double"]


def test_sorting():
    now = timezone.now()
    for slug, name, price, age in [
        ("b", "Bravo", "5.00", 2),
        ("a", "Alpha", "9.00", 3),
        ("c", "Charlie", "1.00", 1),
    ]:
        product = ProductFactory(slug=slug, name=name, price=Decimal(price))
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=age))

    assert slugs(selectors.product_list()) == ["a", "b", "c"]
    assert slugs(selectors.product_list(sort="name")) == ["a", "b", "c"]
    assert slugs(selectors.product_list(sort="price")) == ["c", "b", "a"]
    assert slugs(selectors.product_list(sort="-price")) == ["a", "b", "c"]
    assert slugs(selectors.product_list(sort="newest")) == ["c", "b", "a"]


def test_availability_is_annotated_and_a_missing_stock_row_counts_as_sold_out():
    ProductFactory(slug="some", stock=7, stock__allocated=2)
    bare = ProductFactory(slug="bare")
    Stock.objects.filter(product=bare).delete()

    available = {p.slug: p.available for p in selectors.product_list()}

    assert available == {"some": 5, "bare": 0}


def test_category_list_counts_active_products_and_hides_empty_categories():
    full = CategoryFactory(slug="full")
    CategoryFactory(slug="empty")
    ProductFactory(category=full)
    ProductFactory(category=full)
    ProductFactory(category=CategoryFactory(slug="only-inactive"), is_active=False)

    assert [(c.slug, c.product_count) for c in selectors.category_list()] == [("full", 2)]


@pytest.mark.parametrize(
    ("available", "status"), [(0, "out"), (-1, "out"), (1, "low"), (5, "low"), (6, "in_stock")]
)
def test_stock_status(available, status):
    assert selectors.stock_status(available) == status
