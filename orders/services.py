"""Every write of the orders app: carts, checkout, payments and the order lifecycle."""

import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from catalog import stock as catalog_stock
from catalog.models import Product, Stock
from orders.models import (
    Cart,
    CartKit,
    CartKitItem,
    CartLine,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentKind,
)
from orders.payments import Card, PaymentGateway, get_gateway
from orders.selectors import cart_kits, cart_totals, quantize
from skinshop.errors import ApplicationError, Conflict, NotFound, PaymentRequired

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------
# Cart
# ------------------------------------------------------------------------------------------


def _available(product: Product) -> int:
    try:
        return product.stock.available
    except Stock.DoesNotExist:
        return 0


# The largest primary key the database can hold; a bigger id from a URL or a request body
# would make the query itself fail, so it is simply "no such product".
_MAX_ID = 2**63 - 1


def _possible_id(product_id: int) -> bool:
    return 0 < product_id <= _MAX_ID


class NotInCart(NotFound):
    code = "not_in_cart"

    def __init__(self) -> None:
        super().__init__("This product is not in your cart.")


def _sellable_product(product_id: int) -> Product:
    product = (
        Product.objects.select_related("stock").filter(pk=product_id, is_active=True).first()
        if _possible_id(product_id)
        else None
    )
    if product is None:
        raise ApplicationError(
            "This product does not exist or is no longer sold.", code="no_product"
        )
    return product


def _check_quantity(product: Product, quantity: int) -> None:
    if quantity < 1:
        raise ApplicationError("The quantity must be at least 1.", code="quantity_too_low")
    available = _available(product)
    if available < 1:
        raise ApplicationError(f"{product} is sold out.", code="sold_out")
    if quantity > available:
        raise ApplicationError(
            f"Only {available} of {product} left in stock; you asked for {quantity}.",
            code="not_enough_stock",
        )


def cart_get_or_create(*, user=None, cart_id: int | None = None) -> Cart:
    """The user's cart, or the anonymous cart with ``cart_id``, created when missing.

    An id that points at a vanished cart or at a signed-in user's cart gives a new anonymous
    cart, so a stale or forged session value never reveals someone else's cart.
    """
    if user is not None and user.is_authenticated:
        cart, _ = Cart.objects.get_or_create(user=user)
        return cart
    if cart_id is not None:
        cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first()
        if cart is not None:
            return cart
    return Cart.objects.create()


@transaction.atomic
def cart_add(*, cart: Cart, product_id: int, quantity: int) -> CartLine:
    """Add ``quantity`` units; the line's total may not exceed what is available."""
    product = _sellable_product(product_id)
    if quantity < 1:
        raise ApplicationError("The quantity must be at least 1.", code="quantity_too_low")
    line = CartLine.objects.select_for_update().filter(cart=cart, product=product).first()
    in_cart = line.quantity if line else 0
    try:
        _check_quantity(product, in_cart + quantity)
    except ApplicationError as error:
        if in_cart and error.code == "not_enough_stock":
            raise ApplicationError(
                f"Only {_available(product)} of {product} left in stock and {in_cart} "
                f"already in your cart.",
                code="not_enough_stock",
            ) from error
        raise
    if line is None:
        line = CartLine(cart=cart, product=product, quantity=quantity)
    else:
        line.quantity = in_cart + quantity
    line.full_clean()
    line.save()
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_set_quantity(*, cart: Cart, product_id: int, quantity: int) -> CartLine:
    """Change a line's quantity (at least 1; use ``cart_remove`` to drop it)."""
    if not _possible_id(product_id):
        raise NotInCart()
    line = CartLine.objects.select_for_update().filter(cart=cart, product_id=product_id).first()
    if line is None:
        raise NotInCart()
    _check_quantity(_sellable_product(product_id), quantity)
    line.quantity = quantity
    line.full_clean()
    line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def cart_remove(*, cart: Cart, product_id: int) -> None:
    """Drop a line. A kit that loses a product loses its discount (the selectors decide that);
    a kit none of whose products is left in the cart is forgotten."""
    if not _possible_id(product_id):
        raise NotInCart()
    deleted, _ = CartLine.objects.filter(cart=cart, product_id=product_id).delete()
    if not deleted:
        raise NotInCart()
    in_cart = CartLine.objects.filter(cart=cart).values("product_id")
    cart.kits.exclude(items__product_id__in=in_cart).delete()
    cart.save(update_fields=["updated_at"])


@transaction.atomic
def cart_kit_record(
    *,
    cart: Cart,
    source: str,
    name: str,
    discount_percent: Decimal,
    items: list[tuple[int, int]],
) -> tuple[CartKit, bool]:
    """Record on ``cart`` that the kit ``source`` was added: its discount and its
    ``items`` ((product id, quantity) pairs). The caller adds the products themselves.

    One record per kit and cart: adding the same kit again refreshes the record (today's
    name, discount and products) instead of adding a second one, so its discount applies
    once, to one kit's quantities. Returns the record and whether it was already there.
    """
    kit = CartKit.objects.select_for_update().filter(cart=cart, source=source).first()
    existed = kit is not None
    kit = kit or CartKit(cart=cart, source=source)
    kit.name = name
    kit.discount_percent = discount_percent
    kit.full_clean(exclude=["cart"])
    kit.save()
    kit.items.all().delete()
    quantities: dict[int, int] = {}
    for product_id, quantity in items:
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    for product_id, quantity in quantities.items():
        item = CartKitItem(kit=kit, product_id=product_id, quantity=quantity)
        item.full_clean(exclude=["kit"])
        item.save()
    return kit, existed


@transaction.atomic
def merge_carts(*, source: Cart, target: Cart) -> list[str]:
    """Move ``source``'s lines into ``target`` and delete ``source`` (used at log-in).

    Quantities of the same product add up, capped by what is available. Returns one sentence
    per line that had to be cut, so the caller can tell the shopper.
    """
    if source.pk == target.pk:
        return []
    notes: list[str] = []
    existing = {line.product_id: line for line in target.lines.select_for_update()}
    for line in source.lines.select_related("product__stock"):
        product = line.product
        available = _available(product) if product.is_active else 0
        current = existing.get(product.pk)
        wanted = line.quantity + (current.quantity if current else 0)
        quantity = min(wanted, available)
        if quantity < wanted:
            notes.append(
                f"{product}: only {available} available, so your cart holds {quantity}."
                if quantity
                else f"{product} is no longer available and was left out of your cart."
            )
        if current is not None:
            if quantity >= 1:
                current.quantity = quantity
                current.save(update_fields=["quantity"])
            else:
                current.delete()
        elif quantity >= 1:
            CartLine.objects.create(cart=target, product=product, quantity=quantity)
    # Kits come along (one per kit: the target's own record wins); whether their discount
    # applies is judged on the merged lines like any cart's.
    held = set(target.kits.values_list("source", flat=True))
    source.kits.exclude(source__in=held).update(cart=target)
    source.delete()
    target.save(update_fields=["updated_at"])
    return notes


# ------------------------------------------------------------------------------------------
# Checkout
# ------------------------------------------------------------------------------------------


class CheckoutError(ApplicationError):
    """Placing an order failed; ``message`` is meant for the shopper, ``code`` for clients."""

    code = "checkout_failed"


class EmptyCart(CheckoutError):
    code = "empty_cart"


class InsufficientStock(CheckoutError):
    status = Conflict.status
    code = "insufficient_stock"


class PaymentDeclined(CheckoutError):
    status = PaymentRequired.status
    code = "payment_declined"


class IdempotencyKeyReused(CheckoutError):
    status = Conflict.status
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Address:
    full_name: str
    line1: str
    city: str
    postcode: str
    country: str
    line2: str = ""

    @classmethod
    def from_checkout(cls, data: Mapping[str, str]) -> "Address":
        """From the checkout form's or the API's cleaned fields (same names in both)."""
        return cls(
            full_name=data["full_name"],
            line1=data["address_line1"],
            line2=data.get("address_line2") or "",
            city=data["city"],
            postcode=data["postcode"],
            country=data["country"],
        )


# 32 symbols without 0/O and 1/I: easy to read out on the phone, 32**8 ≈ 10**12 numbers.
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PLACE_ATTEMPTS = 3


def new_order_number() -> str:
    return "SK-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def _owner_id(user) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def _order_for_key(idempotency_key: uuid.UUID, user, cart: Cart) -> Order | None:
    """The order an earlier submit with this key placed, if it belongs to the same shopper:
    the same account, or for a guest the same cart (the one their session holds)."""
    order = Order.objects.filter(idempotency_key=idempotency_key).first()
    if order is None:
        return None
    same_owner = order.user_id == _owner_id(user)
    if order.user_id is None:
        same_owner = same_owner and order.checkout_cart_id == cart.pk
    if not same_owner:
        raise IdempotencyKeyReused("This idempotency key was already used for another order.")
    order.is_replay = True
    return order


def order_place(
    *,
    cart: Cart,
    user,
    email: str,
    address: Address,
    card: Card,
    idempotency_key: uuid.UUID,
    gateway: PaymentGateway | None = None,
) -> Order:
    """Turn ``cart`` into a paid order, all or nothing.

    In one transaction: lock the cart (one checkout per cart at a time), lock the products'
    stock rows in primary-key order (concurrent checkouts never deadlock), check availability,
    create the order with price snapshots and the kit discounts that apply
    (``selectors.cart_totals``, as on the cart page), allocate the stock, charge the total,
    mark the order paid and empty the cart (lines and kits). Any failure rolls all of it
    back: no order, stock and cart as they were.

    A second call with the same ``idempotency_key`` from the same shopper (account, or a
    guest's cart) returns the first order, marked ``is_replay``, instead of placing another;
    anyone else gets ``IdempotencyKeyReused``. The unique key on Order settles the race of two
    simultaneous submits.

    Raises ``EmptyCart``, ``InsufficientStock`` (naming the products), ``PaymentDeclined``
    or ``IdempotencyKeyReused``.
    """
    existing = _order_for_key(idempotency_key, user, cart)
    if existing is not None:
        return existing
    gateway = gateway or get_gateway()
    for attempt in range(1, _PLACE_ATTEMPTS + 1):
        try:
            return _place(
                cart=cart,
                user=user,
                email=email,
                address=address,
                card=card,
                idempotency_key=idempotency_key,
                gateway=gateway,
            )
        except IntegrityError:
            # Either a simultaneous submit with the same key won (return its order), or the
            # random order number collided (try again with a new one: nothing was charged,
            # since the order row is written before the charge).
            existing = _order_for_key(idempotency_key, user, cart)
            if existing is not None:
                return existing
            if attempt == _PLACE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _quantities(lines) -> dict[int, int]:
    """Units per product of cart or order lines, as the catalog's stock operations take them."""
    return {line.product_id: line.quantity for line in lines}


def _shortage_message(shortages: list[catalog_stock.Shortage]) -> str:
    return (
        "Not enough stock for "
        + "; ".join(
            f"{s.product} (only {s.available} left, your cart has {s.requested})"
            if s.available
            else f"{s.product} (sold out)"
            for s in shortages
        )
        + "."
    )


def _place(
    *,
    cart: Cart,
    user,
    email: str,
    address: Address,
    card: Card,
    idempotency_key: uuid.UUID,
    gateway: PaymentGateway,
) -> Order:
    with transaction.atomic():
        locked_cart = Cart.objects.select_for_update().filter(pk=cart.pk).first()
        if locked_cart is None:
            raise EmptyCart("Your cart is empty.")
        # A submit with the same key that held the cart lock before us has committed by now.
        existing = _order_for_key(idempotency_key, user, cart)
        if existing is not None:
            return existing
        lines = list(locked_cart.lines.select_related("product").order_by("product_id"))
        if not lines:
            raise EmptyCart("Your cart is empty.")

        quantities = _quantities(lines)
        try:
            catalog_stock.check_available(quantities=quantities)
        except catalog_stock.InsufficientStock as short:
            raise InsufficientStock(_shortage_message(short.shortages)) from short

        totals = cart_totals(lines=lines, kits=cart_kits(cart=locked_cart))
        order = Order(
            number=new_order_number(),
            user=user if _owner_id(user) else None,
            idempotency_key=idempotency_key,
            checkout_cart_id=locked_cart.pk,
            status=OrderStatus.PENDING,
            email=email,
            full_name=address.full_name,
            address_line1=address.line1,
            address_line2=address.line2,
            city=address.city,
            postcode=address.postcode,
            country=address.country,
            currency=settings.SHOP_CURRENCY,
            subtotal=totals.subtotal,
            discount=totals.discount,
            shipping=totals.shipping,
            total=totals.total,
        )
        order.full_clean(exclude=["number", "idempotency_key"])  # the DB settles uniqueness
        order.save()
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=line.product,
                product_name=str(line.product),
                unit_price=line.product.price,
                quantity=line.quantity,
                line_total=quantize(line.product.price * line.quantity),
            )
            for line in lines
        )
        OrderDiscount.objects.bulk_create(
            OrderDiscount(
                order=order,
                source=kit.kit.source,
                name=kit.name,
                discount_percent=kit.discount_percent,
                full_price=kit.full_price,
                amount=kit.amount,
            )
            for kit in totals.discounted_kits
        )
        catalog_stock.allocate(quantities=quantities)

        # The charge runs inside the transaction: the offline gateway cannot fail after
        # approving, so a rollback never strands money. A real provider would need more: an
        # authorization here and a capture after commit (or a refund if the commit fails), its
        # own idempotency key (we pass ours), and webhooks for asynchronous outcomes, with the
        # order committed as pending while the provider decides.
        result = gateway.charge(
            amount=order.total,
            currency=order.currency,
            card=card,
            idempotency_key=str(idempotency_key),
            description=f"{settings.SHOP_NAME} order {order.number}",
        )
        if not result.approved:
            raise PaymentDeclined(result.message or "Your card was declined.")
        Payment.objects.create(
            order=order,
            kind=PaymentKind.CHARGE,
            gateway=gateway.name,
            reference=result.reference,
            amount=order.total,
            currency=order.currency,
            card_brand=card.brand,
            card_last4=card.last4,
        )
        _move(order, OrderStatus.PAID)
        locked_cart.lines.all().delete()
        locked_cart.kits.all().delete()
        transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="confirmation"))
        return order


# ------------------------------------------------------------------------------------------
# Order lifecycle
# ------------------------------------------------------------------------------------------

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


def _move(order: Order, target: str) -> None:
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
    _move(order, OrderStatus.PAID)
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="confirmation"))
    return order


@transaction.atomic
def order_ship(*, order: Order) -> Order:
    """paid -> shipped: the allocated units leave the shelf (quantity and allocated drop)."""
    order = _locked(order)
    _move(order, OrderStatus.SHIPPED)
    catalog_stock.dispatch(quantities=_quantities(order.lines.all()))
    transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="shipped"))
    return order


@transaction.atomic
def order_deliver(*, order: Order) -> Order:
    """shipped -> delivered."""
    order = _locked(order)
    _move(order, OrderStatus.DELIVERED)
    return order


@transaction.atomic
def order_cancel(*, order: Order, gateway: PaymentGateway | None = None) -> Order:
    """pending or paid -> cancelled: the allocation is released and a charge refunded.

    A refund the gateway refuses rolls the cancellation back, so an order is never cancelled
    while the customer's money is still held.
    """
    order = _locked(order)
    was_paid = order.status == OrderStatus.PAID
    _move(order, OrderStatus.CANCELLED)
    catalog_stock.release(quantities=_quantities(order.lines.all()))
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


# ------------------------------------------------------------------------------------------
# E-mail
# ------------------------------------------------------------------------------------------

ORDER_EMAILS = ("confirmation", "shipped", "cancelled")


def send_order_email(*, order_id: int, kind: str) -> None:
    """Send one of the order e-mails (templates/orders/email/<kind>_subject|body.txt).

    Called on commit, so a rolled-back order never e-mails anyone. A mail server that is down
    is logged, not raised: the order is placed either way.
    """
    if kind not in ORDER_EMAILS:
        raise ValueError(f"unknown order e-mail {kind!r}")
    order = Order.objects.prefetch_related("lines", "discounts").get(pk=order_id)
    context = {"order": order, "shop_name": settings.SHOP_NAME}
    subject = render_to_string(f"orders/email/{kind}_subject.txt", context).strip()
    body = render_to_string(f"orders/email/{kind}_body.txt", context)
    try:
        send_mail(subject, body, None, [order.email])
    except OSError:
        logger.exception("Could not send the %s e-mail of order %s", kind, order.number)
