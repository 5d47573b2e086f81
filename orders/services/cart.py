"""The cart: lines within what stock allows, kit records, and the merge at log-in."""

from decimal import Decimal

from django.db import transaction

from catalog.models import Product, Stock
from orders.models import Cart, CartKit, CartKitItem, CartLine
from skinshop.errors import ApplicationError, NotFound


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
    offers: dict[int, str] | None = None,
) -> tuple[CartKit, bool]:
    """Record on ``cart`` that the kit ``source`` was added: its discount and its
    ``items`` ((product id, quantity) pairs). The caller adds the products themselves.
    ``offers``: product id → who put that product in the kit when not the kit's own offer
    (``CartKitItem.offer``), so it keeps the discount only while that offer stands.

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
        item = CartKitItem(
            kit=kit,
            product_id=product_id,
            quantity=quantity,
            offer=(offers or {}).get(product_id, ""),
        )
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
