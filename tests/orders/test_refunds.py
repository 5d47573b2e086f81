"""Staff give money back after placement: part of it (a damaged product), or all that is left
of a shipped or delivered order (a return), which marks it refunded. Shipping records the
carrier's tracking number."""

from decimal import Decimal

import pytest

from catalog.models import Stock
from orders.models import OrderStatus, PaymentKind
from orders.payments import GatewayResult, TestGateway
from orders.services import lifecycle
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(stock=10, price=Decimal("10.00"))


@pytest.fixture
def order(product):
    return place_order(products=[(product, 3)])  # 30.00 + 4.90 shipping


@pytest.fixture
def shipped(order):
    return lifecycle.order_ship(order=order, tracking_number=" 1Z999AA10123456784 ")


def refunds(order) -> list[tuple[Decimal, str]]:
    return [(p.amount, p.note) for p in order.payments.filter(kind=PaymentKind.REFUND)]


def test_shipping_keeps_the_tracking_number_and_mails_it(
    order, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_ship(order=order, tracking_number=" 1Z999AA10123456784 ")

    order.refresh_from_db()
    assert order.tracking_number == "1Z999AA10123456784"
    assert "Tracking number: 1Z999AA10123456784" in mailoutbox[-1].body


def test_a_partial_refund_after_shipping_keeps_the_order_shipped(
    shipped, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_refund(order=shipped, amount=Decimal("10"), note="One tube leaked")

    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.SHIPPED
    assert refunds(shipped) == [(Decimal("10.00"), "One tube leaked")]
    assert lifecycle.refundable(shipped) == Decimal("24.90")
    assert "refunded 10.00 EUR" in mailoutbox[-1].body and "One tube leaked" in mailoutbox[-1].body


def test_refunding_the_rest_of_a_delivered_order_is_a_return(shipped, product):
    lifecycle.order_deliver(order=shipped)
    lifecycle.order_refund(order=shipped, amount=Decimal("4.90"), note="Shipping")

    order = lifecycle.order_refund(order=shipped, amount=Decimal("30.00"), note="Returned")

    assert order.status == OrderStatus.REFUNDED and order.refunded_at
    assert sum(amount for amount, _ in refunds(order)) == order.total
    assert lifecycle.refundable(order) == 0
    # Shipped units left the shelf; returned ones go back by hand once checked.
    assert Stock.objects.get(product=product).quantity == 7


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Decimal("0"), "above 0"),
        (Decimal("-5"), "above 0"),
        (Decimal("34.91"), "At most 34.90 EUR is left"),
    ],
)
def test_a_refund_beyond_what_is_left_or_not_positive_is_refused(shipped, amount, reason):
    with pytest.raises(lifecycle.RefundRefused, match=reason):
        lifecycle.order_refund(order=shipped, amount=amount)

    assert refunds(shipped) == []


def test_a_paid_order_is_refunded_in_part_but_cancelled_to_give_everything_back(order):
    lifecycle.order_refund(order=order, amount=Decimal("5"))

    with pytest.raises(lifecycle.RefundRefused, match="cancel it"):
        lifecycle.order_refund(order=order, amount=Decimal("29.90"))

    # Cancelling gives back what is left, not the whole charge a second time.
    lifecycle.order_cancel(order=order)
    assert [amount for amount, _ in refunds(order)] == [Decimal("5.00"), Decimal("29.90")]


def test_a_cancelled_order_has_nothing_to_refund(order):
    lifecycle.order_cancel(order=order)

    with pytest.raises(lifecycle.RefundRefused, match="nothing to refund"):
        lifecycle.order_refund(order=order, amount=Decimal("1"))


def test_a_refund_the_gateway_refuses_changes_nothing(shipped):
    class RefusingGateway(TestGateway):
        def refund(self, **kwargs):
            return GatewayResult(approved=False, decline_code="refund_failed", message="No.")

    with pytest.raises(lifecycle.RefundFailed, match="the order was not refunded"):
        lifecycle.order_refund(order=shipped, amount=Decimal("34.90"), gateway=RefusingGateway())

    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.SHIPPED and refunds(shipped) == []


def test_the_cancellation_email_names_what_is_refunded_then(
    order, django_capture_on_commit_callbacks, mailoutbox
):
    lifecycle.order_refund(order=order, amount=Decimal("5"))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_cancel(order=order)

    assert "29.90 EUR, all that was not refunded before, is refunded" in mailoutbox[-1].body


def test_a_plain_cancellation_email_refunds_the_full_amount(
    order, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_cancel(order=order)

    assert "34.90 EUR, the full amount, is refunded" in mailoutbox[-1].body
