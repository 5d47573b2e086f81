"""The storefront's shared cache: what every visitor sees alike is served from it, a catalog
change shows at once, and nothing personal is ever shared."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from catalog import stock
from catalog.cache import VERSION_KEY
from tests.accounts.factories import UserFactory
from tests.catalog.factories import CategoryFactory, IngredientFactory, ProductFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalog:product_list")
API_URL = "/api/v1/products/"


def detail_url(product) -> str:
    return reverse("catalog:product_detail", kwargs={"slug": product.slug})


def page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def api_product(client, slug: str) -> dict | None:
    results = client.get(API_URL).json()["results"]
    return next((item for item in results if item["slug"] == slug), None)


@pytest.fixture
def gel():
    return ProductFactory(slug="gel", name="Clear Gel", price=Decimal("9.90"), stock=10)


def warm(client, product) -> None:
    """Every shared entry of ``product`` is in the cache."""
    page(client, LIST_URL)
    page(client, detail_url(product))
    client.get(API_URL)


def test_a_second_visit_costs_no_catalog_query(client, gel, django_assert_num_queries):
    warm(client, gel)

    with django_assert_num_queries(0):
        list_page = page(client, LIST_URL)
        detail_page = page(client, detail_url(gel))
        api = client.get(API_URL)

    assert "Clear Gel" in list_page and "€9.90" in list_page
    assert "Clear Gel" in detail_page
    assert api.json()["results"][0]["slug"] == "gel"


def test_each_query_string_has_its_own_entry(client, django_assert_num_queries):
    ProductFactory(slug="wash", name="Foam Wash", price=Decimal("5.00"))
    ProductFactory(slug="serum", name="Night Serum", price=Decimal("30.00"))
    page(client, LIST_URL, q="wash")

    searched = page(client, LIST_URL, q="serum")
    by_price = page(client, LIST_URL, sort="-price")
    api_searched = client.get(API_URL, {"search": "wash"}).json()["results"]

    assert "Night Serum" in searched and "Foam Wash" not in searched
    assert by_price.index("Night Serum") < by_price.index("Foam Wash")
    assert [item["slug"] for item in api_searched] == ["wash"]
    with django_assert_num_queries(0):
        assert "Foam Wash" in page(client, LIST_URL, q="wash")


def test_a_price_change_shows_at_once(client, gel):
    warm(client, gel)

    gel.price = Decimal("7.50")
    gel.save()

    assert "€7.50" in page(client, LIST_URL) and "€9.90" not in page(client, LIST_URL)
    assert "€7.50" in page(client, detail_url(gel))
    assert api_product(client, "gel")["price"] == "7.50"


def test_a_sale_shows_the_stock_left_at_once(client, gel):
    warm(client, gel)

    place_order(products=[(gel, 6)])

    assert "Only 4 left" in page(client, LIST_URL)
    assert "Only 4 left" in page(client, detail_url(gel))
    assert api_product(client, "gel")["available"] == 4


def test_a_sold_out_product_shows_at_once(client, gel):
    warm(client, gel)

    stock.allocate(quantities={gel.pk: 10})

    assert "Out of stock" in page(client, LIST_URL)
    detail = page(client, detail_url(gel))
    assert "sold out" in detail and "Add to cart" not in detail
    assert api_product(client, "gel")["stock_status"] == "out"


def test_stock_back_on_the_shelf_shows_at_once(client, gel):
    stock.allocate(quantities={gel.pk: 10})
    warm(client, gel)

    stock.release(quantities={gel.pk: 10})

    assert "In stock" in page(client, LIST_URL)
    assert "Add to cart" in page(client, detail_url(gel))


def test_a_hidden_product_disappears_at_once(client, gel):
    ProductFactory(slug="other", name="Other Cream")
    warm(client, gel)

    gel.is_active = False
    gel.save()

    assert "Clear Gel" not in page(client, LIST_URL)
    assert client.get(detail_url(gel)).status_code == 404
    assert api_product(client, "gel") is None


def test_a_product_shown_again_is_found_at_once(client, gel):
    gel.is_active = False
    gel.save()
    assert client.get(detail_url(gel)).status_code == 404

    gel.is_active = True
    gel.save()

    assert "Clear Gel" in page(client, detail_url(gel))


def test_category_ingredient_and_image_changes_show_at_once(client):
    category = CategoryFactory(slug="gels", name="Gels")
    ingredient = IngredientFactory(name="Adapalene")
    gel = ProductFactory(slug="gel", name="Clear Gel", category=category)
    warm(client, gel)

    category.name = "Treatments"
    category.save()
    assert "Treatments" in page(client, LIST_URL)
    assert "Treatments" in page(client, detail_url(gel))

    gel.key_ingredients.add(ingredient)
    assert "Adapalene" in page(client, detail_url(gel))
    ingredient.name = "Adapalene 0.1%"
    ingredient.save()
    assert "Adapalene 0.1%" in page(client, detail_url(gel))

    gel.image.save("gel.png", ContentFile(b"not drawn"), save=True)
    assert gel.image.url in page(client, LIST_URL)
    assert gel.image.url in page(client, detail_url(gel))


def test_an_entry_built_before_a_commit_is_not_served_after_it(
    client, gel, django_capture_on_commit_callbacks
):
    # A visitor reading while the change is not yet committed caches the old price under the
    # version drawn at the change; the commit draws another, so that entry is never served.
    with django_capture_on_commit_callbacks() as committed:
        gel.price = Decimal("7.50")
        gel.save()
    version_at_change = cache.get(VERSION_KEY)
    for callback in committed:
        callback()

    assert cache.get(VERSION_KEY) != version_at_change


def _user_page(client, url: str) -> str:
    return client.get(url).content.decode()


def _csrf_in_form(content: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert match, "no CSRF token in the page's forms"
    return match.group(1)


def test_two_shoppers_never_see_each_others_personal_parts(gel):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)
    # Alice puts 3 in her cart, which leaves her a message; then she fills the cache.
    alice_client.post(reverse("orders:cart_add", args=[gel.pk]), {"quantity": 3})
    alice_pages = [_user_page(alice_client, url) for url in (LIST_URL, detail_url(gel))]

    bob_pages = [_user_page(bob_client, url) for url in (LIST_URL, detail_url(gel))]

    assert "Added 3" in alice_pages[0]  # her message, shown once
    for content in alice_pages:
        assert "Signed in as alice" in content
        assert 'data-testid="cart-count">3<' in content
    for content in bob_pages:
        assert "Signed in as bob" in content and "alice" not in content
        assert 'data-testid="cart-count">0<' in content
        assert "Added 3" not in content
    alice_token, bob_token = _csrf_in_form(alice_pages[1]), _csrf_in_form(bob_pages[1])
    assert alice_token != bob_token
    # Each token is its holder's: Bob's add-to-cart form works for Bob.
    bob_client.enforce_csrf_checks = True
    bob_client.handler.enforce_csrf_checks = True
    added = bob_client.post(
        reverse("orders:cart_add", args=[gel.pk]),
        {"quantity": 1, "csrfmiddlewaretoken": bob_token},
    )
    assert added.status_code == 302


def test_a_visitor_never_sees_the_previous_visitors_log_in_link(gel):
    first, second = Client(), Client()
    first.force_login(get_user_model().objects.create_user("carol", password="x-y-z-123456"))
    first.get(LIST_URL)

    content = second.get(LIST_URL).content.decode()

    assert "carol" not in content and "Log in" in content


def test_the_browsable_api_shows_a_cached_list_too(client, gel):
    client.get(API_URL)

    response = client.get(API_URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200 and "Clear Gel" in response.content.decode()
