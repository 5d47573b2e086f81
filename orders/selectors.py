"""Reads of the orders app: cart summaries and a customer's orders."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import QuerySet, Sum

from orders.models import Cart, CartLine, Order

CENT = Decimal("0.01")


def quantize(amount: Decimal) -> Decimal:
    """Round to cents, half up (the way a receipt rounds)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def shipping_for(subtotal: Decimal) -> Decimal:
    """The flat shipping fee, free from the threshold on; nothing to ship costs nothing."""
    if subtotal <= 0:
        return quantize(Decimal("0"))
    if subtotal >= Decimal(settings.SHOP_FREE_SHIPPING_FROM):
        return quantize(Decimal("0"))
    return quantize(Decimal(settings.SHOP_SHIPPING_FLAT))


@dataclass(frozen=True)
class CartSummary:
    cart: Cart | None
    lines: list[CartLine]
    count: int
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    free_shipping_from: Decimal

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def missing_for_free_shipping(self) -> Decimal:
        return max(quantize(self.free_shipping_from - self.subtotal), quantize(Decimal("0")))


def cart_lines(*, cart: Cart) -> list[CartLine]:
    return list(cart.lines.select_related("product__stock", "product__category"))


def cart_summary(*, cart: Cart | None) -> CartSummary:
    """Lines with their products and stock, and the money sums (one query)."""
    lines = cart_lines(cart=cart) if cart is not None and cart.pk else []
    subtotal = quantize(sum((line.line_total for line in lines), Decimal("0")))
    shipping = shipping_for(subtotal)
    return CartSummary(
        cart=cart,
        lines=lines,
        count=sum(line.quantity for line in lines),
        subtotal=subtotal,
        shipping=shipping,
        total=quantize(subtotal + shipping),
        free_shipping_from=quantize(Decimal(settings.SHOP_FREE_SHIPPING_FROM)),
    )


def cart_count(*, user=None, cart_id: int | None = None) -> int:
    """Units in the user's or the session's cart, for the header badge (one query, no writes)."""
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    elif cart_id is not None:
        lines = CartLine.objects.filter(cart_id=cart_id, cart__user__isnull=True)
    else:
        return 0
    return lines.aggregate(n=Sum("quantity"))["n"] or 0


def order_list_for_user(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user)


def order_detail_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("user").prefetch_related("lines", "payments")
