import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Stock
from orders.models import Order
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import DECLINED, checkout_body, place_order

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
LINES = "/api/v1/cart/lines/"
ORDERS = "/api/v1/orders/"


@pytest.fixture
def user():
    return UserFactory(email="sam@example.com")


@pytest.fixture
def api(user) -> APIClient:
    """A client authenticated with the user's API token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_cart_add_change_and_remove(api):
    product = ProductFactory(stock=5)

    added = api.post(LINES, {"product_id": product.pk, "quantity": 2}, format="json")
    assert added.status_code == 201
    assert added.json()["count"] == 2 and added.json()["lines"][0]["product_id"] == product.pk

    changed = api.patch(f"{LINES}{product.pk}/", {"quantity": 5}, format="json")
    assert changed.status_code == 200 and changed.json()["lines"][0]["quantity"] == 5
    assert changed.json()["lines"][0]["line_total"] == changed.json()["subtotal"] == "49.50"
    assert changed.json()["currency"] == "EUR"

    assert api.delete(f"{LINES}{product.pk}/").status_code == 204
    assert api.get(CART).json()["lines"] == []
    missing = api.delete(f"{LINES}{product.pk}/")
    assert missing.status_code == 404 and missing.json()["message"] == (
        "This product is not in your cart."
    )


def test_cart_errors_are_json_a_person_can_read(api):
    product = ProductFactory(name="Gel", brand="Acme", stock=1)

    too_many = api.post(LINES, {"product_id": product.pk, "quantity": 2}, format="json")
    assert too_many.status_code == 400
    assert too_many.json()["message"] == "Only 1 of Acme Gel left in stock; you asked for 2."

    zero = api.post(LINES, {"product_id": product.pk, "quantity": 0}, format="json")
    assert zero.status_code == 400 and zero.json()["message"].startswith("quantity:")


def test_anonymous_clients_have_a_session_cart():
    client = APIClient()
    product = ProductFactory()
    client.post(LINES, {"product_id": product.pk, "quantity": 1}, format="json")
    assert client.get(CART).json()["count"] == 1
    assert APIClient().get(CART).json()["count"] == 0


def test_checkout_needs_an_idempotency_key_and_replays_the_first_order(api, user):
    product = ProductFactory(stock=5)
    api.post(LINES, {"product_id": product.pk, "quantity": 2}, format="json")

    no_key = api.post(ORDERS, checkout_body(), format="json")
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["message"]

    key = str(uuid.uuid4())
    first = api.post(ORDERS, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(ORDERS, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["status"] == "paid" and first.json()["email"] == "sam@example.com"
    assert "card_number" not in first.json()
    assert Order.objects.filter(user=user).count() == 1
    assert Stock.objects.get(product=product).allocated == 2


def test_declined_payment_is_402_and_orders_nothing(api):
    product = ProductFactory(stock=5)
    api.post(LINES, {"product_id": product.pk, "quantity": 1}, format="json")

    response = api.post(
        ORDERS, checkout_body(DECLINED), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )

    assert response.status_code == 402
    assert response.json() == {"message": "Your card was declined.", "code": "payment_declined"}
    assert not Order.objects.exists() and api.get(CART).json()["count"] == 1


def test_insufficient_stock_is_409_naming_the_product(api):
    product = ProductFactory(name="Patches", brand="Dot", stock=1)
    api.post(LINES, {"product_id": product.pk, "quantity": 1}, format="json")
    Stock.objects.filter(product=product).update(allocated=1)

    response = api.post(
        ORDERS, checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )

    assert response.status_code == 409 and "Dot Patches (sold out)" in response.json()["message"]


def test_orders_are_own_only(api, user):
    mine = place_order(user=user)
    theirs = place_order(user=UserFactory())

    listed = api.get(ORDERS).json()["results"]
    assert [order["number"] for order in listed] == [mine.number]
    assert api.get(f"{ORDERS}{mine.number}/").json()["lines"][0]["quantity"] == 1
    other = api.get(f"{ORDERS}{theirs.number}/")
    assert other.status_code == 404 and other.json()["message"]


def test_orders_need_authentication():
    anonymous = APIClient().get(ORDERS)
    bad_token = APIClient().get(ORDERS, HTTP_AUTHORIZATION="Token not-a-token")
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate.
    assert anonymous.status_code == bad_token.status_code == 403
    assert anonymous.json()["message"] == "Authentication credentials were not provided."
    assert bad_token.json()["message"] == "Invalid token."


def test_absurd_ids_and_pages_are_not_found_not_server_errors(api):
    huge = 2**64
    assert api.patch(f"{LINES}{huge}/", {"quantity": 1}, format="json").status_code == 404
    assert api.delete(f"{LINES}{huge}/").status_code == 404
    added = api.post(LINES, {"product_id": huge, "quantity": 1}, format="json")
    assert added.status_code == 400 and added.json()["message"] == (
        "This product does not exist or is no longer sold."
    )
    assert api.get(ORDERS, {"page": ""}).json()["message"].startswith("Invalid page")
    assert api.get(ORDERS, {"page": "x"}).status_code == 404


def test_a_card_number_with_superscript_digits_is_a_400_not_a_server_error(api):
    import uuid

    product = ProductFactory(stock=5)
    api.post(LINES, {"product_id": product.pk, "quantity": 1}, format="json")

    response = api.post(
        "/api/v1/orders/",
        checkout_body(card_number="424242424242424²"),
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )

    assert response.status_code == 400
    assert "card number" in response.json()["message"]


def test_card_details_of_a_form_encoded_checkout_never_reach_an_error_report(api):
    import uuid
    from unittest import mock

    from django.views.debug import SafeExceptionReporterFilter

    from orders.services import checkout as checkout_services

    api.post(LINES, {"product_id": ProductFactory(stock=5).pk, "quantity": 1}, format="json")
    api.raise_request_exception = False
    with mock.patch.object(checkout_services, "order_place", side_effect=RuntimeError("boom")):
        response = api.post(
            "/api/v1/orders/", checkout_body(), HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )

    assert response.status_code == 500
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert set(reported["card_number"]) == set(reported["card_cvc"]) == {"*"}
