"""The order lifecycle: which status may follow which, and what each move does to stock,
payments and e-mails."""

from django.db import transaction
from django.utils import timezone

from catalog import stock as catalog_stock
from orders.models import Order, OrderStatus, Payment, PaymentKind
from orders.payments import PaymentGateway, get_gateway
from orders.selectors import units_by_product
from orders.services.emails import send_order_email
from skinshop.errors import ApplicationError, Conflict

# The one place that says which status may follow which.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

_TIMESTAMP_FIELD = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, order: Order, target: str) -> None:
        super().__init__(
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot be "
            f"marked {OrderStatus(target).label.lower()}."
        )


def can_move(order: Order, target: str) -> bool:
    return target in ALLOWED_TRANSITIONS[order.status]


def move(order: Order, target: str) -> None:
    """Set ``target`` and its timestamp on a locked ``order``; ``InvalidTransition`` unless
    ALLOWED_TRANSITIONS lets it follow the current status."""
    if not can_move(order, target):
        raise InvalidTransition(order, target)
    field = _TIMESTAMP_FIELD[target]
    order.status = target
    setattr(order, field, timezone.now())
    order.save(update_fields=["status", field])


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def order_mark_paid(*, order: Order) -> Order:
    """pending -> paid, for gateways that confirm later (the test gateway pays at placement)."""
    order = _locked(order)
    move(order, OrderStatus.PAID)
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="confirmation"))
    return order


@transaction.atomic
def order_ship(*, order: Order) -> Order:
    """paid -> shipped: the allocated units leave the shelf (quantity and allocated drop)."""
    order = _locked(order)
    move(order, OrderStatus.SHIPPED)
    catalog_stock.dispatch(quantities=units_by_product(order.lines.all()))
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="shipped"))
    return order


@transaction.atomic
def order_deliver(*, order: Order) -> Order:
    """shipped -> delivered."""
    order = _locked(order)
    move(order, OrderStatus.DELIVERED)
    return order


@transaction.atomic
def order_cancel(*, order: Order, gateway: PaymentGateway | None = None) -> Order:
    """pending or paid -> cancelled: the allocation is released and a charge refunded.

    A refund the gateway refuses rolls the cancellation back, so an order is never cancelled
    while the customer's money is still held.
    """
    order = _locked(order)
    was_paid = order.status == OrderStatus.PAID
    move(order, OrderStatus.CANCELLED)
    catalog_stock.release(quantities=units_by_product(order.lines.all()))
    if was_paid:
        _refund(order, gateway or get_gateway())
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="cancelled"))
    return order


class RefundFailed(ApplicationError):
    status = 502  # the payment provider refused: nothing the caller's request can fix
    code = "refund_failed"


def _refund(order: Order, gateway: PaymentGateway) -> None:
    for charge in order.payments.filter(kind=PaymentKind.CHARGE):
        result = gateway.refund(
            reference=charge.reference, amount=charge.amount, currency=charge.currency
        )
        if not result.approved:
            raise RefundFailed(
                f"Order {order.number}: the refund of {charge.reference} failed "
                f"({result.message or result.decline_code}); the order was not cancelled."
            )
        Payment.objects.create(
            order=order,
            kind=PaymentKind.REFUND,
            gateway=charge.gateway,
            reference=result.reference,
            amount=charge.amount,
            currency=charge.currency,
            card_brand=charge.card_brand,
            card_last4=charge.card_last4,
        )
