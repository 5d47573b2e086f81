"""The order page's buttons: each move the order's status allows, for staff holding its
permission, asks on a confirmation page before it runs; the list's bulk cancel asks too."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus, PaymentKind
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order
from tests.orders.test_admin import CHANGELIST, act, staff_client, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return place_order(products=[(ProductFactory(stock=10, price=Decimal("10.00")), 3)])


def change_url(order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def move_url(order, key: str) -> str:
    return reverse(f"admin:orders_order_{key}", args=[order.pk])


def buttons(client, order) -> list[str]:
    return [move.key for move, _ in client.get(change_url(order)).context["order_moves"]]


def status(order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_a_paid_order_offers_ship_cancel_and_refund(admin_client, order):
    page = admin_client.get(change_url(order)).content.decode()

    assert buttons(admin_client, order) == ["ship", "cancel", "refund"]
    assert f'href="{move_url(order, "ship")}"' in page and "Cancel and refund" in page


def test_shipping_asks_first_then_keeps_the_tracking_number(admin_client, order):
    confirm = admin_client.get(move_url(order, "ship"))
    assert confirm.status_code == 200 and status(order) == OrderStatus.PAID
    assert (
        "Mark order" in confirm.content.decode() and "Tracking number" in confirm.content.decode()
    )

    response = admin_client.post(move_url(order, "ship"), {"tracking_number": "1Z999"}, follow=True)

    assert f"Order {order.number} marked shipped." in texts(response)
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (OrderStatus.SHIPPED, "1Z999")
    assert buttons(admin_client, order) == ["deliver", "refund"]


def test_cancel_runs_only_after_its_confirmation(admin_client, order):
    page = admin_client.get(move_url(order, "cancel")).content.decode()
    assert "cannot be undone" in page and status(order) == OrderStatus.PAID

    admin_client.post(move_url(order, "cancel"))

    assert status(order) == OrderStatus.CANCELLED
    assert buttons(admin_client, order) == []


def test_a_partial_refund_from_the_page_then_the_rest_after_delivery(admin_client, order):
    admin_client.post(move_url(order, "ship"), {"tracking_number": ""})
    admin_client.post(move_url(order, "deliver"))
    form = admin_client.get(move_url(order, "refund")).context["form"]
    assert form.initial["amount"] == Decimal("34.90")

    admin_client.post(move_url(order, "refund"), {"amount": "10", "note": "One tube leaked"})
    assert status(order) == OrderStatus.DELIVERED
    admin_client.post(move_url(order, "refund"), {"amount": "24.90", "note": "Returned"})

    assert status(order) == OrderStatus.REFUNDED
    notes = list(order.payments.filter(kind=PaymentKind.REFUND).values_list("amount", "note"))
    assert notes == [(Decimal("10.00"), "One tube leaked"), (Decimal("24.90"), "Returned")]


def test_a_refund_beyond_what_is_left_is_shown_on_the_form(admin_client, order):
    response = admin_client.post(move_url(order, "refund"), {"amount": "99"})

    assert response.status_code == 200
    assert "At most 34.90 EUR is left to refund" in response.content.decode()
    assert not order.payments.filter(kind=PaymentKind.REFUND).exists()


def test_a_move_the_status_does_not_allow_goes_back_with_a_message(admin_client, order):
    response = admin_client.post(move_url(order, "deliver"), follow=True)

    assert f"Order {order.number} is paid: it cannot be marked delivered." in texts(response)
    assert status(order) == OrderStatus.PAID


def test_a_clerk_ships_but_may_neither_cancel_nor_refund(client, order):
    clerk = staff_client(client, "view_order", "change_order")

    assert buttons(clerk, order) == ["ship"]
    assert clerk.post(move_url(order, "cancel")).status_code == 403
    assert clerk.post(move_url(order, "refund"), {"amount": "1"}).status_code == 403
    assert status(order) == OrderStatus.PAID


def test_the_bulk_cancel_shows_a_confirmation_page_first(admin_client, order):
    response = act(admin_client, "cancel", order)

    page = response.content.decode()
    assert "Cancel these orders?" in page and order.number in page
    assert 'name="confirmed" value="yes"' in page
    assert status(order) == OrderStatus.PAID

    act(admin_client, "cancel", order, confirmed="yes")
    assert status(order) == OrderStatus.CANCELLED
    assert admin_client.get(CHANGELIST).status_code == 200
