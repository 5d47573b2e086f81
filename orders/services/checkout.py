"""Checkout: a cart becomes a paid order, all or nothing, once per idempotency key."""

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from catalog import stock as catalog_stock
from orders.models import (
    Cart,
    CartLine,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentKind,
    SavedAddress,
)
from orders.payments import Card, PaymentGateway, get_gateway
from orders.selectors import CartTotals, cart_kits, cart_totals, quantize, units_by_product
from orders.services.emails import send_order_email
from orders.services.lifecycle import move
from skinshop.errors import ApplicationError, Conflict, PaymentRequired


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


@dataclass(frozen=True)
class _Submission:
    """What one checkout submit asks for."""

    cart: Cart
    user: object
    email: str
    address: Address
    card: Card
    idempotency_key: uuid.UUID
    gateway: PaymentGateway


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

    In one transaction (``_place``, step by step): lock the cart (one checkout per cart at a
    time), check that the stock covers it (the catalog locks the products' stock rows in
    primary-key order, so concurrent checkouts never deadlock), create the order with the
    kit discounts that apply (``selectors.cart_totals``, as on the cart page), create its
    lines with price snapshots, allocate the stock, charge the total and mark the order paid,
    and empty the cart (lines and kits). Any failure rolls all of it back: no order, stock
    and cart as they were.

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
    submission = _Submission(
        cart=cart,
        user=user,
        email=email,
        address=address,
        card=card,
        idempotency_key=idempotency_key,
        gateway=gateway or get_gateway(),
    )
    for attempt in range(1, _PLACE_ATTEMPTS + 1):
        try:
            return _place(submission)
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


def _place(submission: _Submission) -> Order:
    """One checkout's steps, in one transaction."""
    with transaction.atomic():
        cart = _lock_cart(submission.cart)
        # A submit with the same key that held the cart lock before us has committed by now.
        existing = _order_for_key(submission.idempotency_key, submission.user, submission.cart)
        if existing is not None:
            return existing
        lines = _cart_lines(cart)
        _check_stock(lines)
        totals = cart_totals(lines=lines, kits=cart_kits(cart=cart))
        order = _create_order(submission, cart=cart, totals=totals)
        _create_lines(order, lines=lines, totals=totals)
        catalog_stock.allocate(quantities=units_by_product(lines))
        _charge(order, submission)
        move(order, OrderStatus.PAID)
        _empty_cart(cart)
        if _owner_id(submission.user) is not None:
            # The next checkout starts from the address this one shipped to.
            saved_address_save(user=submission.user, address=submission.address)
        transaction.on_commit(lambda: send_order_email(order_id=order.pk, kind="confirmation"))
        return order


def _lock_cart(cart: Cart) -> Cart:
    """The cart's row, locked until the checkout ends: one checkout per cart at a time."""
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None:
        raise EmptyCart("Your cart is empty.")
    return locked


def _cart_lines(cart: Cart) -> list[CartLine]:
    lines = list(cart.lines.select_related("product").order_by("product_id"))
    if not lines:
        raise EmptyCart("Your cart is empty.")
    return lines


def _check_stock(lines: list[CartLine]) -> None:
    """Stock must cover every line before anything is written; the shopper is told which
    products fall short."""
    try:
        catalog_stock.check_available(quantities=units_by_product(lines))
    except catalog_stock.InsufficientStock as short:
        raise InsufficientStock(_shortage_message(short.shortages)) from short


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


def _create_order(submission: _Submission, *, cart: Cart, totals: CartTotals) -> Order:
    address = submission.address
    order = Order(
        number=new_order_number(),
        user=submission.user if _owner_id(submission.user) else None,
        idempotency_key=submission.idempotency_key,
        checkout_cart_id=cart.pk,
        status=OrderStatus.PENDING,
        email=submission.email,
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
    return order


def _create_lines(order: Order, *, lines: list[CartLine], totals: CartTotals) -> None:
    """The order's lines with today's prices, and the kit discounts it got."""
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


def _charge(order: Order, submission: _Submission) -> None:
    """Charge the order's total to the card and record the payment; ``PaymentDeclined``.

    The charge runs inside the transaction: the offline gateway cannot fail after approving,
    so a rollback never strands money. A real provider would need more: an authorization here
    and a capture after commit (or a refund if the commit fails), its own idempotency key (we
    pass ours), and webhooks for asynchronous outcomes, with the order committed as pending
    while the provider decides.
    """
    gateway, card = submission.gateway, submission.card
    result = gateway.charge(
        amount=order.total,
        currency=order.currency,
        card=card,
        idempotency_key=str(submission.idempotency_key),
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


def _empty_cart(cart: Cart) -> None:
    cart.lines.all().delete()
    cart.kits.all().delete()


def guest_orders_claim(*, user, numbers: list[str]) -> int:
    """At log-in: the guest orders a session placed (``numbers``) join ``user``'s account,
    as the session's skin checks do. Orders of an account never move. Returns how many."""
    if not numbers:
        return 0
    return Order.objects.filter(number__in=numbers, user__isnull=True).update(user=user)


def saved_address_save(*, user, address: Address) -> SavedAddress:
    """Keep ``address`` as the one ``user``'s next checkout is filled with."""
    saved, _ = SavedAddress.objects.update_or_create(
        user=user,
        defaults={
            "full_name": address.full_name,
            "address_line1": address.line1,
            "address_line2": address.line2,
            "city": address.city,
            "postcode": address.postcode,
            "country": address.country,
        },
    )
    return saved
