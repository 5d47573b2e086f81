from decimal import Decimal

import pytest

from catalog.models import Stock
from orders.models import Order, OrderStatus, PaymentKind
from orders.payments import GatewayResult, TestGateway
from orders.services import lifecycle
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db


def stock(product) -> tuple[int, int]:
    row = Stock.objects.get(product=product)
    return row.quantity, row.allocated


@pytest.fixture
def product():
    return ProductFactory(stock=10, price=Decimal("10.00"))


@pytest.fixture
def order(product) -> Order:
    return place_order(products=[(product, 3)])


def test_the_transitions_table():
    allowed = {
        (source, target)
        for source, targets in lifecycle.ALLOWED_TRANSITIONS.items()
        for target in targets
    }
    assert allowed == {
        ("pending", "paid"),
        ("pending", "cancelled"),
        ("paid", "shipped"),
        ("paid", "cancelled"),
        ("shipped", "delivered"),
        ("shipped", "refunded"),
        ("delivered", "refunded"),
    }


def test_paid_shipped_delivered_and_shipping_consumes_stock(
    order, product, django_capture_on_commit_callbacks, mailoutbox
):
    assert stock(product) == (10, 3)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_ship(order=order)
    assert stock(product) == (7, 0)
    assert "on its way" in mailoutbox[-1].subject

    lifecycle.order_deliver(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.shipped_at and order.delivered_at


def test_cancelling_a_paid_order_restores_stock_and_refunds(
    order, product, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_cancel(order=order)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at
    assert stock(product) == (10, 0)
    refund = order.payments.get(kind=PaymentKind.REFUND)
    assert refund.amount == order.total and refund.reference.startswith("test_re_")
    assert "cancelled" in mailoutbox[-1].subject and "refunded" in mailoutbox[-1].body


def test_cancelling_a_pending_order_releases_stock_without_a_refund(order, product):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PENDING)
    order.payments.all().delete()

    lifecycle.order_cancel(order=order)

    assert stock(product) == (10, 0)
    assert not order.payments.exists()


def test_a_pending_order_can_be_marked_paid(order):
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PENDING, paid_at=None)
    assert lifecycle.order_mark_paid(order=order).status == OrderStatus.PAID


@pytest.mark.parametrize(
    "moves, service, message",
    [
        ([], lifecycle.order_deliver, "is paid; it cannot be marked delivered"),
        (
            [lifecycle.order_ship],
            lifecycle.order_cancel,
            "is shipped; it cannot be marked cancelled",
        ),
        ([lifecycle.order_ship], lifecycle.order_ship, "is shipped; it cannot be marked shipped"),
        (
            [lifecycle.order_cancel],
            lifecycle.order_ship,
            "is cancelled; it cannot be marked shipped",
        ),
        (
            [lifecycle.order_cancel],
            lifecycle.order_cancel,
            "is cancelled; it cannot be marked cancel",
        ),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(
    order, product, moves, service, message
):
    for move in moves:
        move(order=order)
    before_status, before_stock = Order.objects.get(pk=order.pk).status, stock(product)

    with pytest.raises(lifecycle.InvalidTransition, match=message):
        service(order=order)

    assert Order.objects.get(pk=order.pk).status == before_status
    assert stock(product) == before_stock


def test_a_refused_refund_keeps_the_order_paid(order, product):
    class RefusingGateway(TestGateway):
        def refund(self, **kwargs):
            return GatewayResult(approved=False, decline_code="refund_failed", message="No.")

    with pytest.raises(lifecycle.RefundFailed, match="the order was not cancelled"):
        lifecycle.order_cancel(order=order, gateway=RefusingGateway())

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert stock(product) == (10, 3)
