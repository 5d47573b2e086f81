from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.catalog.factories import (
    CategoryFactory,
    IngredientFactory,
    ProductFactory,
    SkinConcernFactory,
)

pytestmark = pytest.mark.django_db

PRODUCTS_URL = reverse("api:product-list")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def test_product_list_is_open_to_anonymous_clients_and_paginated(api):
    ProductFactory(slug="gel", name="Gel", price=Decimal("9.90"), stock=3)

    response = api.get(PRODUCTS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["next"] is None
    [item] = body["results"]
    assert item["slug"] == "gel"
    assert item["price"] == "9.90"
    assert item["currency"] == "EUR"
    assert item["available"] == 3
    assert item["stock_status"] == "low"
    assert item["url"] == "http://testserver" + reverse("api:product-detail", args=["gel"])


def test_product_list_filters_searches_and_orders(api):
    cleansers = CategoryFactory(slug="cleansers")
    ProductFactory(slug="wash-a", name="Alpha wash", category=cleansers, price=Decimal("5"))
    ProductFactory(slug="wash-b", name="Beta wash", category=cleansers, price=Decimal("3"))
    ProductFactory(slug="gel", name="Gel")
    ProductFactory(slug="hidden", name="Hidden wash", category=cleansers, is_active=False)

    response = api.get(
        PRODUCTS_URL, {"category": "cleansers", "search": "wash", "ordering": "price"}
    )

    assert [p["slug"] for p in response.json()["results"]] == ["wash-b", "wash-a"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ordering": "colour"}, "ordering:"),
        ({"category": "no-such"}, "There is no category 'no-such'."),
        # Empty values are values (found by tests/skinshop/test_api_fuzz.py).
        ({"search": ""}, "search: This field may not be blank."),
        ({"category": ""}, "category: This field may not be blank."),
        ({"ordering": ""}, "ordering: This field may not be blank."),
    ],
)
def test_bad_filters_are_a_400_with_a_readable_message(api, params, message):
    response = api.get(PRODUCTS_URL, params)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_product_detail_has_ingredients_and_concerns(api):
    product = ProductFactory(
        slug="adapalene",
        key_ingredients=[IngredientFactory(name="Adapalene", slug="adapalene")],
        skin_concerns=[SkinConcernFactory(name="Blackheads", slug="blackheads")],
    )

    response = api.get(reverse("api:product-detail", args=[product.slug]))

    assert response.status_code == 200
    body = response.json()
    assert body["category"]["slug"] == product.category.slug
    assert body["key_ingredients"] == [{"slug": "adapalene", "name": "Adapalene"}]
    assert body["skin_concerns"] == [{"slug": "blackheads", "name": "Blackheads"}]
    assert body["description"] == product.description


def test_inactive_or_unknown_product_detail_is_a_json_404(api):
    ProductFactory(slug="withdrawn", is_active=False)

    for slug in ("withdrawn", "never-existed"):
        response = api.get(reverse("api:product-detail", args=[slug]))
        assert response.status_code == 404
        assert response.json()["message"]


def test_categories_list_only_those_with_active_products(api):
    treatments = CategoryFactory(slug="treatments", name="Treatments", position=2)
    cleansers = CategoryFactory(slug="cleansers", name="Cleansers", position=1)
    CategoryFactory(slug="empty")
    ProductFactory(category=treatments)
    ProductFactory(category=cleansers)
    ProductFactory(category=cleansers)

    response = api.get(reverse("api:category-list"))

    assert response.status_code == 200
    assert [(c["slug"], c["product_count"]) for c in response.json()] == [
        ("cleansers", 2),
        ("treatments", 1),
    ]


def test_writes_are_not_allowed(api):
    ProductFactory(slug="gel")

    assert api.post(PRODUCTS_URL, {"name": "x"}).status_code == 405
    assert api.delete(reverse("api:product-detail", args=["gel"])).status_code == 405


@pytest.mark.parametrize("n_products", [3, 30])
def test_product_list_query_count_is_constant(api, django_assert_num_queries, n_products):
    ProductFactory.create_batch(
        n_products,
        key_ingredients=[IngredientFactory()],
        skin_concerns=[SkinConcernFactory()],
    )

    # One COUNT for the paginator, one SELECT for the page.
    with django_assert_num_queries(2):
        response = api.get(PRODUCTS_URL, {"search": "product"})

    assert response.json()["count"] == n_products


def test_product_list_with_a_category_filter_costs_one_more_query(api, django_assert_num_queries):
    category = CategoryFactory(slug="cleansers")
    ProductFactory.create_batch(5, category=category)

    # The category's existence check, then COUNT and page.
    with django_assert_num_queries(3):
        response = api.get(PRODUCTS_URL, {"category": "cleansers"})

    assert response.json()["count"] == 5


def test_product_detail_query_count(api, django_assert_num_queries):
    product = ProductFactory(
        key_ingredients=[IngredientFactory(), IngredientFactory()],
        skin_concerns=[SkinConcernFactory(), SkinConcernFactory()],
    )

    # The product with category and stock joined, then one query per many-to-many.
    with django_assert_num_queries(3):
        api.get(reverse("api:product-detail", args=[product.slug]))


def test_schema_is_served(api):
    response = api.get(reverse("api:schema"))

    assert response.status_code == 200
    assert b"/api/v1/products/{slug}/" in response.content
