"""From the profile a shopper edits their details, downloads their data and deletes their
account, with their skin checks' photos."""

import json

import pytest
from django.urls import reverse

from accounts.models import User
from orders.models import Order, SavedAddress
from tests.accounts.factories import PASSWORD, UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

EDIT_URL = reverse("accounts:profile_edit")
EXPORT_URL = reverse("accounts:profile_export")
DELETE_URL = reverse("accounts:profile_delete")

ADDRESS = {
    "full_name": "Sam Shopper",
    "address_line1": "1 Main Street",
    "address_line2": "",
    "postcode": "69001",
    "city": "Lyon",
    "country": "France",
}


@pytest.fixture
def sam(client):
    user = UserFactory(username="sam", email="sam@example.com")
    client.force_login(user)
    return user


def test_the_profile_offers_edit_export_and_delete(client, sam):
    page = client.get(reverse("accounts:profile")).content.decode()

    for url in (EDIT_URL, EXPORT_URL, DELETE_URL):
        assert f'href="{url}"' in page


def test_a_shopper_edits_name_email_and_the_saved_address(client, sam):
    data = {"first_name": "Samira", "last_name": "Okafor", "email": "SAMIRA@Example.com"}

    response = client.post(EDIT_URL, data | ADDRESS)

    assert response.url == reverse("accounts:profile")
    sam.refresh_from_db()
    assert (sam.get_full_name(), sam.email) == ("Samira Okafor", "SAMIRA@example.com")
    assert SavedAddress.objects.get(user=sam).city == "Lyon"
    client.post(reverse("orders:cart_add", args=[ProductFactory(stock=3).pk]), {"quantity": 1})
    initial = client.get(reverse("orders:checkout")).context["form"].initial
    assert (initial["full_name"], initial["city"]) == ("Sam Shopper", "Lyon")


def test_an_email_of_another_account_and_half_an_address_are_refused(client, sam):
    UserFactory(email="kim@example.com")

    response = client.post(EDIT_URL, {"email": "kim@example.com", "city": "Lyon"})

    form = response.context["form"]
    assert form.errors["email"] == ["Another account uses this address."]
    assert "Fill in the whole address" in form.errors["address_line1"][0]
    sam.refresh_from_db()
    assert sam.email == "sam@example.com" and not SavedAddress.objects.exists()


def test_the_export_is_a_json_download_of_everything_kept(client, sam):
    place_order(user=sam)  # its address is saved too
    place_order()  # someone else's

    response = client.get(EXPORT_URL)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="skinshop-data-sam.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == "sam@example.com"
    assert data["saved_address"]["city"] == "Lyon"
    assert [o["number"] for o in data["orders"]] == [Order.objects.get(user=sam).number]
    assert data["skin_checks"] == [] and data["check_reminders"] == []


def test_the_export_and_the_pages_need_a_log_in(client):
    for url in (EDIT_URL, EXPORT_URL, DELETE_URL):
        assert client.get(url).url.startswith(reverse("accounts:login"))


def test_deleting_needs_the_password_then_removes_the_account_and_keeps_orders(client, sam):
    order = place_order(user=sam)

    wrong = client.post(DELETE_URL, {"password": "not it"})
    assert "That is not your password." in wrong.content.decode()
    assert User.objects.filter(pk=sam.pk).exists()

    response = client.post(DELETE_URL, {"password": PASSWORD}, follow=True)

    assert not User.objects.filter(pk=sam.pk).exists()
    assert not response.context["user"].is_authenticated
    order.refresh_from_db()
    assert order.user is None  # the sale stays on the books
