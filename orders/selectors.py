"""Reads of the orders app: cart summaries, the money sums of a cart, a customer's orders."""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet, Sum
from django.utils.module_loading import import_string

from orders.models import Cart, CartKit, CartKitItem, CartLine, Order, SavedAddress

CENT = Decimal("0.01")


def quantize(amount: Decimal) -> Decimal:
    """Round to cents, half up (the way a receipt rounds)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def units_by_product(lines: Iterable) -> dict[int, int]:
    """Units per product of cart or order lines: what the catalog's stock operations take."""
    return {line.product_id: line.quantity for line in lines}


def shipping_for(subtotal: Decimal) -> Decimal:
    """The flat shipping fee, free from the threshold on; nothing to ship costs nothing.

    ``subtotal`` is the products at full price: were the threshold judged after kit discounts,
    a small discount could cost the shopper free shipping and make the order dearer.
    """
    if subtotal <= 0:
        return quantize(Decimal("0"))
    if subtotal >= Decimal(settings.SHOP_FREE_SHIPPING_FROM):
        return quantize(Decimal("0"))
    return quantize(Decimal(settings.SHOP_SHIPPING_FLAT))


def kit_discount(*, full_price: Decimal, percent: Decimal) -> Decimal:
    """What ``percent`` off a kit's ``full_price`` takes off: the one place it is rounded.

    The recommendation page, the cart, the checkout and the order all call this, so the
    figure a shopper is promised is the figure charged.
    """
    return quantize(Decimal(full_price) * Decimal(percent) / 100)


def percent_text(percent: Decimal) -> str:
    """``10`` or ``12.50``, as the templates' ``floatformat:"-2"`` writes it."""
    return f"{percent:.0f}" if percent == percent.to_integral_value() else f"{percent:.2f}"


@dataclass(frozen=True)
class KitShortfall:
    """A product the cart holds too few units of for a kit to be whole."""

    product_name: str
    needed: int
    held: int  # units in the cart not already counted for an earlier kit

    def __str__(self) -> str:
        held = "none" if not self.held else str(self.held)
        return f"the kit needs {self.needed} × {self.product_name} and your cart has {held}"


@dataclass(frozen=True)
class KitDiscount:
    """A kit recorded on the cart, and whether its discount applies to the cart as it is."""

    kit: CartKit
    full_price: Decimal  # the kit's quantities at today's prices
    amount: Decimal  # what comes off; zero while the kit is not whole
    shortfalls: tuple[KitShortfall, ...]

    @property
    def name(self) -> str:
        return self.kit.name

    @property
    def discount_percent(self) -> Decimal:
        return self.kit.discount_percent

    @property
    def applies(self) -> bool:
        return not self.shortfalls

    @property
    def reason(self) -> str:
        """Why the discount does not apply, for the cart page; empty when it does."""
        if self.applies:
            return ""
        return (
            f"The {percent_text(self.discount_percent)} % discount of the {self.name} does not "
            "apply: " + "; ".join(str(s) for s in self.shortfalls) + "."
        )


@dataclass(frozen=True)
class CartTotals:
    subtotal: Decimal  # every line at full price
    discount: Decimal  # the sum of the kit discounts that apply
    shipping: Decimal
    total: Decimal
    kits: tuple[KitDiscount, ...]

    @property
    def discounted_kits(self) -> list[KitDiscount]:
        """The kits whose discount takes something off (the order keeps one line each)."""
        return [k for k in self.kits if k.applies and k.amount]

    @property
    def broken_kits(self) -> list[KitDiscount]:
        """The kits whose discount the cart has lost (the cart page says why)."""
        return [k for k in self.kits if not k.applies and k.discount_percent]


def cart_totals(*, lines: Iterable[CartLine], kits: Iterable[CartKit]) -> CartTotals:
    """The money sums of a cart: the one place they are computed (cart page, API, checkout).

    Kit rule: each kit recorded on the cart is discounted once, on its own quantities, while
    the cart holds them all; units beyond them (the same kit added twice, a product bought
    in more) are at full price. Kits are served in the order they were added, and a unit
    counted for one kit is not counted for another, so two kits sharing a product both get
    their discount only when the cart holds enough for both.

    ``lines`` need their product; ``kits`` their items with products. No queries.
    """
    lines = list(lines)
    subtotal = quantize(sum((line.line_total for line in lines), Decimal("0")))
    prices = {line.product_id: line.product.price for line in lines}
    unclaimed = {line.product_id: line.quantity for line in lines}
    found = []
    for kit in kits:
        # A product whose own offer ended is no longer part of the kit: at full price.
        items = [item for item in kit.items.all() if not item.withdrawn]
        full_price = sum(
            (prices.get(i.product_id, i.product.price) * i.quantity for i in items), Decimal("0")
        )
        shortfalls = tuple(
            KitShortfall(str(i.product), i.quantity, unclaimed.get(i.product_id, 0))
            for i in items
            if unclaimed.get(i.product_id, 0) < i.quantity
        )
        if not shortfalls:
            for item in items:
                unclaimed[item.product_id] -= item.quantity
        amount = (
            quantize(Decimal("0"))
            if shortfalls
            else kit_discount(full_price=full_price, percent=kit.discount_percent)
        )
        found.append(KitDiscount(kit, quantize(full_price), amount, shortfalls))
    discount = quantize(sum((k.amount for k in found), Decimal("0")))
    shipping = shipping_for(subtotal)
    return CartTotals(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        total=quantize(subtotal - discount + shipping),
        kits=tuple(found),
    )


@dataclass(frozen=True)
class CartSummary(CartTotals):
    cart: Cart | None
    lines: list[CartLine]
    count: int
    free_shipping_from: Decimal

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def missing_for_free_shipping(self) -> Decimal:
        return max(quantize(self.free_shipping_from - self.subtotal), quantize(Decimal("0")))


def cart_lines(*, cart: Cart) -> list[CartLine]:
    return list(cart.lines.select_related("product__stock", "product__category"))


def cart_kits(*, cart: Cart) -> list[CartKit]:
    """The cart's kits with their items and products, for ``cart_totals``, each with the
    discount its offer gives today (``current_kit_discounts``)."""
    items = Prefetch("items", queryset=CartKitItem.objects.select_related("product"))
    return current_kit_discounts(list(cart.kits.prefetch_related(items)))


def current_kit_discounts(kits: list[CartKit]) -> list[CartKit]:
    """Re-validate the discounts recorded on ``kits`` (in memory, nothing is saved).

    A kit keeps the percent it was added with only while the app that offered it still offers
    it: ``settings.ORDERS_KIT_OFFER_LOOKUP`` (this app knows nothing of who offers kits) names
    a function ``(source) -> Decimal | None``, the percent offered today for that source, 0 when
    the offer has ended, None for a source it does not know. The discount is never more than
    what the shopper was shown when adding the kit. A product another offer put in the kit
    (``CartKitItem.offer``, e.g. a zone rule's) is ``withdrawn`` from it once that offer's
    answer is 0: the rest of the kit keeps its discount, that product is at full price.
    """
    lookup = getattr(settings, "ORDERS_KIT_OFFER_LOOKUP", "")
    if not lookup or not kits:
        return kits
    offered_today = import_string(lookup)
    for kit in kits:
        current = offered_today(source=kit.source)
        if current is not None:
            kit.discount_percent = min(kit.discount_percent, Decimal(current))
        for item in kit.items.all():
            item.withdrawn = bool(item.offer) and offered_today(source=item.offer) == 0
    return kits


def cart_summary(*, cart: Cart | None) -> CartSummary:
    """Lines with their products and stock, the cart's kits, and the money sums."""
    has_cart = cart is not None and cart.pk
    lines = cart_lines(cart=cart) if has_cart else []
    kits = list(cart_kits(cart=cart)) if has_cart and lines else []
    totals = cart_totals(lines=lines, kits=kits)
    return CartSummary(
        **{f.name: getattr(totals, f.name) for f in fields(CartTotals)},
        cart=cart,
        lines=lines,
        count=sum(line.quantity for line in lines),
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
    return Order.objects.select_related("user").prefetch_related("lines", "discounts", "payments")


ADDRESS_FIELDS = ("full_name", "address_line1", "address_line2", "city", "postcode", "country")


def checkout_details(*, user) -> dict[str, str]:
    """What a signed-in shopper's checkout form starts with: their e-mail and their saved
    address (else the address of their last order, else their account's name)."""
    details = {"email": user.email, "full_name": user.get_full_name()}
    saved = SavedAddress.objects.filter(user=user).first()
    source = saved or order_list_for_user(user=user).first()
    if source is not None:
        details |= {name: getattr(source, name) for name in ADDRESS_FIELDS}
    return details
