"""A signed-in shopper's checkout starts from their saved name and address; the country is a
list; a guest's orders join the account they then sign up for or log in to."""

import pytest
from django.urls import reverse

from orders.countries import COUNTRIES
from orders.models import Order, SavedAddress
from tests.accounts.factories import PASSWORD, UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import checkout_data, place_order

pytestmark = pytest.mark.django_db

CHECKOUT_URL = reverse("orders:checkout")


def add(client, product, quantity=1):
    return client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": quantity})


def test_a_signed_in_checkout_saves_the_address_and_the_next_one_starts_from_it(client):
    user = UserFactory(email="sam@example.com")
    client.force_login(user)
    add(client, ProductFactory(stock=5))
    client.post(CHECKOUT_URL, checkout_data(full_name="Sam Shopper", city="Lyon"))

    add(client, ProductFactory(stock=5))
    initial = client.get(CHECKOUT_URL).context["form"].initial

    assert SavedAddress.objects.get(user=user).city == "Lyon"
    assert initial["email"] == "sam@example.com"
    assert (initial["full_name"], initial["address_line1"], initial["city"]) == (
        "Sam Shopper",
        "1 Main Street",
        "Lyon",
    )
    assert initial["country"] == "France"


def test_a_guest_checkout_saves_no_address(client):
    add(client, ProductFactory(stock=5))
    client.post(CHECKOUT_URL, checkout_data())

    assert Order.objects.count() == 1 and not SavedAddress.objects.exists()


def test_the_country_is_a_list_and_another_value_is_refused(client):
    add(client, ProductFactory(stock=5))

    page = client.get(CHECKOUT_URL).content.decode()
    assert '<select name="country"' in page
    assert all(f'<option value="{name}">' in page for name in ("France", "Germany"))
    assert "France" in COUNTRIES

    response = client.post(CHECKOUT_URL, checkout_data(country="Atlantis"))
    assert "We do not ship to Atlantis; choose a country." in response.content.decode()
    assert not Order.objects.exists()


def test_a_guests_orders_join_the_account_they_log_in_to(client):
    add(client, ProductFactory(stock=5))
    client.post(CHECKOUT_URL, checkout_data())
    order = Order.objects.get()
    someone_elses = place_order(products=[(ProductFactory(stock=5), 1)])
    user = UserFactory(username="sam")

    client.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD})

    order.refresh_from_db()
    someone_elses.refresh_from_db()
    assert order.user == user
    assert someone_elses.user is None  # not placed in this session
    assert order.number in client.get(reverse("orders:order_list")).content.decode()
