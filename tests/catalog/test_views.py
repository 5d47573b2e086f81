from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.views import PRODUCTS_PER_PAGE
from tests.catalog.factories import CategoryFactory, IngredientFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalog:product_list")


def listed(response) -> list[str]:
    return [product.slug for product in response.context["products"]]


def test_product_list_shows_active_products_with_price_and_stock(client):
    ProductFactory(slug="gel", name="BP Gel", price=Decimal("9.90"), stock=3)
    ProductFactory(slug="withdrawn", name="Old Gel", is_active=False)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert listed(response) == ["gel"]
    content = response.content.decode()
    assert "BP Gel" in content and "€9.90" in content and "Only 3 left" in content
    assert "Old Gel" not in content


def test_product_list_filters_by_category_and_searches(client):
    cleansers = CategoryFactory(slug="cleansers", name="Cleansers")
    ProductFactory(slug="bp-wash", name="BP wash", category=cleansers)
    ProductFactory(slug="mild-wash", name="Mild wash", category=cleansers)
    ProductFactory(
        slug="bp-gel", name="Gel", key_ingredients=[IngredientFactory(name="Benzoyl peroxide")]
    )

    by_category = client.get(LIST_URL, {"category": "cleansers"})
    by_ingredient = client.get(LIST_URL, {"q": "benzoyl"})
    both = client.get(LIST_URL, {"category": "cleansers", "q": "bp"})

    assert listed(by_category) == ["bp-wash", "mild-wash"]
    assert by_category.context["current_category"] == cleansers
    assert listed(by_ingredient) == ["bp-gel"]
    assert listed(both) == ["bp-wash"]


def test_product_list_sorts(client):
    ProductFactory(slug="cheap", name="Zed", price=Decimal("2.00"))
    ProductFactory(slug="dear", name="Alpha", price=Decimal("20.00"))

    assert listed(client.get(LIST_URL)) == ["dear", "cheap"]
    assert listed(client.get(LIST_URL, {"sort": "price"})) == ["cheap", "dear"]
    assert listed(client.get(LIST_URL, {"sort": "-price"})) == ["dear", "cheap"]


def test_bad_filter_values_are_reported_and_the_valid_ones_still_apply(client):
    ProductFactory(slug="wash", name="Wash")
    ProductFactory(slug="gel", name="Gel")

    response = client.get(LIST_URL, {"category": "nope", "sort": "colour", "q": "wash"})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"category", "sort"}
    assert listed(response) == ["wash"]
    assert "That category does not exist" in response.content.decode()


def test_pagination_keeps_the_filters(client):
    category = CategoryFactory(slug="treatments")
    ProductFactory.create_batch(PRODUCTS_PER_PAGE + 2, category=category)

    first = client.get(LIST_URL, {"category": "treatments", "sort": "price"})
    second = client.get(LIST_URL, {"category": "treatments", "sort": "price", "page": 2})
    beyond = client.get(LIST_URL, {"page": "999"})

    assert len(listed(first)) == PRODUCTS_PER_PAGE
    assert "?category=treatments&amp;sort=price&amp;page=2" in first.content.decode()
    assert len(listed(second)) == 2
    assert beyond.status_code == 200 and beyond.context["page_obj"].number == 2


def test_empty_search_says_so(client):
    ProductFactory(name="Gel")

    response = client.get(LIST_URL, {"q": "unicorn"})

    assert listed(response) == []
    assert "No products match" in response.content.decode()


@pytest.mark.parametrize("n_products", [3, 30])
def test_product_list_runs_a_constant_number_of_queries(
    client, django_assert_num_queries, n_products
):
    for product in ProductFactory.create_batch(n_products, category=CategoryFactory()):
        product.key_ingredients.add(IngredientFactory())

    # Categories (with counts), the paginator's COUNT, and the page of products with
    # category and stock joined and availability computed by the database.
    with django_assert_num_queries(3):
        response = client.get(LIST_URL, {"sort": "newest"})

    assert response.status_code == 200
    assert len(listed(response)) == min(n_products, PRODUCTS_PER_PAGE)


def test_signed_in_product_list_query_count_does_not_grow_with_products(client):
    user = get_user_model().objects.create_user("ana", "ana@example.com", "pw-long-enough-1")
    client.force_login(user)
    category = CategoryFactory()

    def queries_with(n_products: int) -> int:
        ProductFactory.create_batch(n_products, category=category)
        with CaptureQueriesContext(connection) as queries:
            client.get(LIST_URL)
        return len(queries)

    assert queries_with(3) == queries_with(27)


def test_product_detail_query_count(client, django_assert_num_queries):
    product = ProductFactory(key_ingredients=[IngredientFactory(), IngredientFactory()])

    # The product with category and stock joined, then ingredients and concerns.
    with django_assert_num_queries(3):
        client.get(product.get_absolute_url())


def test_product_detail_shows_everything_a_shopper_needs(client):
    product = ProductFactory(
        slug="adapalene",
        name="Adapalene 0.1% Gel",
        price=Decimal("16.90"),
        role="treatment",
        key_ingredients=[IngredientFactory(name="Adapalene")],
        stock=20,
    )
    product.skin_concerns.create(name="Blackheads", slug="blackheads")

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Adapalene 0.1% Gel", "€16.90", "In stock", "Treatment", "Blackheads"):
        assert text in content
    assert f'action="{reverse("orders:cart_add", args=[product.id])}"' in content
    assert 'name="quantity"' in content


def test_sold_out_product_has_no_add_to_cart_form(client):
    product = ProductFactory(stock=0)

    content = client.get(product.get_absolute_url()).content.decode()

    assert "Out of stock" in content
    assert 'name="quantity"' not in content


def test_inactive_or_unknown_product_is_a_404(client):
    product = ProductFactory(is_active=False)

    assert client.get(product.get_absolute_url()).status_code == 404
    assert client.get(reverse("catalog:product_detail", args=["nope"])).status_code == 404
