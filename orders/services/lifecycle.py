"""The order lifecycle: which status may follow which, and what each move does to stock,
payments and e-mails. Refunds: all of a paid order's money at cancellation, or staff's
refunds of part or all of it later (a damaged product, a return)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from catalog import stock as catalog_stock
from orders.models import Order, OrderStatus, Payment, PaymentKind
from orders.payments import PaymentGateway, get_gateway
from orders.selectors import quantize, units_by_product
from orders.services.emails import send_order_email
from skinshop.errors import ApplicationError, Conflict

# The one place that says which status may follow which.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

_TIMESTAMP_FIELD = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
    OrderStatus.REFUNDED: "refunded_at",
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
def order_ship(*, order: Order, tracking_number: str = "") -> Order:
    """paid -> shipped: the allocated units leave the shelf (quantity and allocated drop); the
    carrier's ``tracking_number`` goes into the shipping e-mail."""
    order = _locked(order)
    move(order, OrderStatus.SHIPPED)
    order.tracking_number = tracking_number.strip()
    order.save(update_fields=["tracking_number"])
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
    """pending or paid -> cancelled: the allocation is released and what was paid refunded.

    A refund the gateway refuses rolls the cancellation back, so an order is never cancelled
    while the customer's money is still held.
    """
    order = _locked(order)
    move(order, OrderStatus.CANCELLED)
    catalog_stock.release(quantities=units_by_product(order.lines.all()))
    left = refundable(order)
    if left > 0:
        _give_back(order, left, gateway or get_gateway(), note="Order cancelled", doing="cancelled")
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="cancelled"))
    return order


class RefundFailed(ApplicationError):
    status = 502  # the payment provider refused: nothing the caller's request can fix
    code = "refund_failed"


class RefundRefused(Conflict):
    code = "refund_refused"


# Orders whose money staff may give back in part or in full (a pending one took none).
REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED})


def _sum(order: Order, kind: str) -> Decimal:
    total = order.payments.filter(kind=kind).aggregate(total=Sum("amount"))["total"]
    return quantize(total or Decimal("0"))


def refundable(order: Order) -> Decimal:
    """What is left to give back: the charges less the refunds so far."""
    return max(_sum(order, PaymentKind.CHARGE) - _sum(order, PaymentKind.REFUND), Decimal("0"))


def refund_problem(order: Order, amount: Decimal) -> str:
    """Why ``amount`` cannot be refunded on ``order`` now, or "" when it can."""
    if order.status not in REFUNDABLE:
        return f"Order {order.number} is {order.get_status_display().lower()}: nothing to refund."
    left = refundable(order)
    if amount <= 0:
        return "Enter an amount above 0."
    if amount > left:
        return f"At most {left} {order.currency} is left to refund on order {order.number}."
    if amount == left and order.status == OrderStatus.PAID:
        return (
            f"Order {order.number} has not shipped: cancel it to give everything back "
            "(that puts its stock back on sale too)."
        )
    return ""


@transaction.atomic
def order_refund(
    *, order: Order, amount: Decimal, note: str = "", gateway: PaymentGateway | None = None
) -> Order:
    """Give back ``amount`` of what a paid, shipped or delivered order was charged: part of
    it (a damaged product, a missing item), or all that is left of a shipped or delivered
    order, which marks it refunded (a return; returned units are put back on the shelf by
    hand, in the product's stock, once they are checked). Raises ``RefundRefused`` (with the
    reason) or ``RefundFailed`` (the gateway said no: nothing changed)."""
    order = _locked(order)
    amount = quantize(amount)
    problem = refund_problem(order, amount)
    if problem:
        raise RefundRefused(problem)
    everything = amount == refundable(order)
    _give_back(order, amount, gateway or get_gateway(), note=note.strip(), doing="refunded")
    if everything:
        move(order, OrderStatus.REFUNDED)
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="refunded"))
    return order


def _give_back(
    order: Order, amount: Decimal, gateway: PaymentGateway, *, note: str, doing: str
) -> None:
    """Refund ``amount`` against the order's charges, the earliest first (refunds so far
    count against them in that order). ``doing`` names what a refused refund stops."""
    already = _sum(order, PaymentKind.REFUND)
    for charge in order.payments.filter(kind=PaymentKind.CHARGE):
        covered = min(charge.amount, already)
        already -= covered
        part = min(charge.amount - covered, amount)
        if part <= 0:
            continue
        result = gateway.refund(reference=charge.reference, amount=part, currency=charge.currency)
        if not result.approved:
            raise RefundFailed(
                f"Order {order.number}: the refund of {charge.reference} failed "
                f"({result.message or result.decline_code}); the order was not {doing}."
            )
        Payment.objects.create(
            order=order,
            kind=PaymentKind.REFUND,
            gateway=charge.gateway,
            reference=result.reference,
            amount=part,
            currency=charge.currency,
            card_brand=charge.card_brand,
            card_last4=charge.card_last4,
            note=note,
        )
        amount -= part
        if amount <= 0:
            return
