"""The database connection drops in the middle of a checkout (PostgreSQL restarted, a network
cut between web server and database): the shopper is told, and nothing is half-done."""

import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, connections
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Stock
from orders.models import Cart, CartLine, Order, OrderLine, Payment
from orders.payments import TestGateway
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import ADDRESS, card, checkout_body, checkout_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHECKOUT_URL = reverse("orders:checkout")


class ConnectionDroppingGateway(TestGateway):
    """Approves the card, but while it is "talking to the provider" the checkout's database
    connection is terminated from a second connection, as an administrator (or a failover)
    would. Armed for one charge at a time; ``terminated`` lists the backends it killed."""

    armed = False
    terminated: list[int] = []

    def charge(self, **kwargs):
        if type(self).armed:
            type(self).armed = False
            pid = connection.connection.info.backend_pid
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    # With a timeout PostgreSQL waits until the backend is really gone.
                    cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
                    assert cursor.fetchone()[0] is True
            finally:
                other.close()
            type(self).terminated.append(pid)
        return super().charge(**kwargs)


@pytest.fixture
def dropping_gateway(settings):
    settings.PAYMENT_GATEWAY = f"{__name__}.ConnectionDroppingGateway"
    ConnectionDroppingGateway.armed = True
    ConnectionDroppingGateway.terminated = []
    yield ConnectionDroppingGateway
    ConnectionDroppingGateway.armed = False


def shelf(*products) -> list[tuple[int, int]]:
    return [
        (stock.quantity, stock.allocated)
        for stock in Stock.objects.filter(product__in=products).order_by("product_id")
    ]


def lines_of(cart: Cart) -> list[tuple[int, int]]:
    return list(
        CartLine.objects.filter(cart=cart).order_by("product_id").values_list("product", "quantity")
    )


def nothing_was_ordered() -> bool:
    return not (Order.objects.exists() or OrderLine.objects.exists() or Payment.objects.exists())


def test_a_dropped_connection_during_payment_leaves_no_order_and_stock_and_cart_intact(
    dropping_gateway,
):
    serum = ProductFactory(price=Decimal("12.00"), stock=5)
    cream = ProductFactory(price=Decimal("8.00"), stock=3)
    cart = Cart.objects.create()
    cart_services.cart_add(cart=cart, product_id=serum.pk, quantity=2)
    cart_services.cart_add(cart=cart, product_id=cream.pk, quantity=1)
    stock_before, lines_before = shelf(serum, cream), lines_of(cart)

    with pytest.raises(DatabaseError):
        checkout_services.order_place(
            cart=cart,
            user=None,
            email="guest@example.com",
            address=ADDRESS,
            card=card(),
            idempotency_key=uuid.uuid4(),
            gateway=dropping_gateway(),
        )

    assert len(dropping_gateway.terminated) == 1  # the fault really happened
    # The next query opens a new connection and sees what was committed: nothing.
    assert nothing_was_ordered()
    assert shelf(serum, cream) == stock_before == [(5, 0), (3, 0)]
    assert lines_of(cart) == lines_before


def test_the_shopper_is_told_and_can_pay_again_once_the_database_is_back(client, dropping_gateway):
    product = ProductFactory(name="Gel", brand="Acme", price=Decimal("15.00"), stock=4)
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": 2})
    cart = Cart.objects.get()
    data = checkout_data()

    response = client.post(CHECKOUT_URL, data)

    assert len(dropping_gateway.terminated) == 1
    assert response.status_code == 200  # the checkout page again, with what was typed
    page = response.content.decode()
    assert "Your order could not be placed because of a temporary problem on our side" in page
    assert 'value="1 Main Street"' in page
    assert nothing_was_ordered()
    assert shelf(product) == [(4, 0)]
    assert lines_of(cart) == [(product.pk, 2)]

    # Submitting again (same form, same idempotency key) places the order, once.
    retry = client.post(CHECKOUT_URL, data)

    order = Order.objects.get()
    assert retry.status_code == 302 and retry.url == order.get_absolute_url()
    assert order.total == Decimal("30.00") + order.shipping
    assert shelf(product) == [(4, 2)]
    assert lines_of(cart) == []


def test_the_api_answers_503_in_json_and_the_same_key_pays_once_the_database_is_back(
    dropping_gateway,
):
    product = ProductFactory(price=Decimal("15.00"), stock=4)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    api.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 2}, format="json")
    key = str(uuid.uuid4())

    response = api.post("/api/v1/orders/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert len(dropping_gateway.terminated) == 1
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert "Nothing was saved" in response.json()["message"]
    assert nothing_was_ordered() and shelf(product) == [(4, 0)]

    retry = api.post("/api/v1/orders/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert retry.status_code == 201 and Order.objects.count() == 1
