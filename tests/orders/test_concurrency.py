"""Concurrent checkouts on the real PostgreSQL: row locks, not luck, prevent overselling."""

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from catalog.models import Stock
from orders.models import Order, OrderStatus
from orders.services import checkout as checkout_services
from tests.catalog.factories import ProductFactory
from tests.orders.factories import ADDRESS, CartFactory, CartLineFactory, card

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOPPERS = 20
STOCK = 5


def run_together(work: Callable[[int], str], count: int) -> list[str]:
    """Run ``work(i)`` in ``count`` threads released at once; every outcome is returned,
    an exception included (as ``error: ...``), so none escapes unseen."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = [""] * count

    def thread_main(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test asserts there were none
            outcomes[index] = f"error: {error!r}"
        finally:
            connection.close()  # each thread has its own connection; give it back

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung (deadlock?)"
    return outcomes


def test_twenty_concurrent_checkouts_of_five_units_give_five_paid_orders():
    product = ProductFactory(name="Patches", brand="Dot", stock=STOCK)
    other = ProductFactory(stock=100)
    carts = []
    for index in range(SHOPPERS):
        cart = CartFactory()
        # Two products per cart, added in varying order: lock ordering must still hold.
        lines = [(product, 1), (other, 1)] if index % 2 else [(other, 1), (product, 1)]
        for item, quantity in lines:
            CartLineFactory(cart=cart, product=item, quantity=quantity)
        carts.append(cart)

    def checkout(index: int) -> str:
        try:
            checkout_services.order_place(
                cart=carts[index],
                user=None,
                email=f"shopper{index}@example.com",
                address=ADDRESS,
                card=card(),
                idempotency_key=uuid.uuid4(),
            )
        except checkout_services.InsufficientStock as error:
            assert "Dot Patches (sold out)" in error.message
            return "insufficient stock"
        return "paid"

    outcomes = run_together(checkout, SHOPPERS)

    assert Counter(outcomes) == {"paid": STOCK, "insufficient stock": SHOPPERS - STOCK}
    assert Order.objects.filter(status=OrderStatus.PAID).count() == STOCK
    stock = Stock.objects.get(product=product)
    assert (stock.quantity, stock.allocated, stock.available) == (STOCK, STOCK, 0)
    assert Stock.objects.get(product=other).allocated == STOCK


def test_twenty_shoppers_checking_out_through_the_page_at_once():
    product = ProductFactory(stock=STOCK)
    clients = [Client() for _ in range(SHOPPERS)]
    for client in clients:
        client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": 1})
    forms = [client.get(reverse("orders:checkout")).context["form"] for client in clients]

    def checkout(index: int) -> str:
        data = {
            "idempotency_key": str(forms[index].initial["idempotency_key"]),
            "email": f"shopper{index}@example.com",
            "full_name": "Sam Shopper",
            "address_line1": "1 Main Street",
            "city": "Lyon",
            "postcode": "69001",
            "country": "France",
            "card_number": "4242424242424242",
            "card_expiry": f"12/{(date.today().year + 3) % 100:02d}",
            "card_cvc": "123",
        }
        response = clients[index].post(reverse("orders:checkout"), data)
        if response.status_code == 302 and "/orders/SK-" in response.url:
            return "paid"
        if response.status_code == 200 and "Not enough stock" in response.content.decode():
            return "insufficient stock"
        return f"unexpected {response.status_code}"

    outcomes = run_together(checkout, SHOPPERS)

    assert Counter(outcomes) == {"paid": STOCK, "insufficient stock": SHOPPERS - STOCK}
    assert Stock.objects.get(product=product).available == 0


def test_simultaneous_submits_with_one_key_place_one_order():
    key = uuid.uuid4()
    product = ProductFactory(stock=50)
    # Separate guest carts, so only the unique key (not the cart lock) can stop duplicates.
    carts = [CartFactory() for _ in range(8)]
    for cart in carts:
        CartLineFactory(cart=cart, product=product, quantity=1)

    def checkout(index: int) -> str:
        try:
            order = checkout_services.order_place(
                cart=carts[index],
                user=None,
                email="guest@example.com",
                address=ADDRESS,
                card=card(),
                idempotency_key=key,
            )
        except checkout_services.IdempotencyKeyReused:
            return "refused"
        return order.number

    outcomes = run_together(checkout, len(carts))

    # One order; the other carts (other guests) are refused it, whoever lost the race.
    order = Order.objects.get()
    assert Counter(outcomes) == {order.number: 1, "refused": len(carts) - 1}
    assert Stock.objects.get(product=product).allocated == 1
