"""Stock operations: every change orders make to a product's shelf quantity and allocation.

Modelled on Saleor's warehouse/management.py. Each operation takes ``{product id: units}``,
locks the products' stock rows for the running transaction in primary-key order (two
transactions wanting overlapping rows then queue up instead of each holding a row the other
waits for: a deadlock), checks, and writes the rows in one bulk update. Callers run them inside
their own transaction, so a failure later on (a declined card) puts the stock back too.

- ``allocate``: placed orders reserve units (``allocated`` grows); refused, naming every
  product short, when fewer are available or the product is no longer sold.
- ``release``: a cancelled order's reservation is given back (``allocated`` drops).
- ``dispatch``: shipped units leave the shelf (``quantity`` and ``allocated`` drop).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction

from catalog.cache import bump_version
from catalog.models import Product, Stock
from skinshop.errors import Conflict


@dataclass(frozen=True)
class Shortage:
    product: Product
    requested: int
    available: int

    def __str__(self) -> str:
        if not self.available:
            return f"{self.product} (sold out)"
        return f"{self.product} (only {self.available} left, {self.requested} wanted)"


class InsufficientStock(Conflict):
    """Fewer units can be sold than were asked for; ``shortages`` names each product."""

    code = "insufficient_stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        super().__init__("Not enough stock for " + "; ".join(map(str, shortages)) + ".")
        self.shortages = shortages


def lock_stocks(*, product_ids: Iterable[int]) -> dict[int, Stock]:
    """The products' stock rows, locked for this transaction in primary-key order, by product
    id (a product without a row is absent). The product rows themselves are not locked."""
    rows = (
        Stock.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(product_id__in=list(product_ids))
        .order_by("pk")
    )
    return {stock.product_id: stock for stock in rows}


def _sellable(stock: Stock | None) -> int:
    return stock.available if stock is not None and stock.product.is_active else 0


def check_available(*, quantities: Mapping[int, int]) -> dict[int, Stock]:
    """Locks the rows and raises ``InsufficientStock`` unless every product can be sold in the
    asked quantity (an inactive product, or one without a stock row, has none). Returns the
    locked rows for an operation that follows in the same transaction."""
    stocks = lock_stocks(product_ids=quantities)
    short = [
        (product_id, requested, _sellable(stocks.get(product_id)))
        for product_id, requested in sorted(quantities.items())
        if requested > _sellable(stocks.get(product_id))
    ]
    if short:
        without_row = Product.objects.in_bulk([pk for pk, _, _ in short if pk not in stocks])
        raise InsufficientStock(
            [
                Shortage(
                    product=stocks[pk].product if pk in stocks else without_row[pk],
                    requested=requested,
                    available=available,
                )
                for pk, requested, available in short
            ]
        )
    return stocks


@transaction.atomic
def allocate(*, quantities: Mapping[int, int]) -> None:
    """Reserve ``quantities`` for a placed order, all or nothing (``InsufficientStock``)."""
    stocks = check_available(quantities=quantities)
    _apply(stocks, quantities, allocated=+1)


@transaction.atomic
def release(*, quantities: Mapping[int, int]) -> None:
    """Give back a cancelled order's reservation."""
    _apply(lock_stocks(product_ids=quantities), quantities, allocated=-1)


@transaction.atomic
def dispatch(*, quantities: Mapping[int, int]) -> None:
    """Shipped units leave the shelf: they are no longer on it nor reserved."""
    _apply(lock_stocks(product_ids=quantities), quantities, allocated=-1, quantity=-1)


def _apply(
    stocks: dict[int, Stock], quantities: Mapping[int, int], *, allocated: int, quantity: int = 0
) -> None:
    """Add ``sign × units`` to each locked row's counters and write them in one update.

    Every row is validated first (no counter below zero, no more allocated than on the
    shelf): a release or dispatch of more than was reserved is a bug to stop, not to store.
    """
    missing = sorted(set(quantities) - set(stocks))
    if missing:
        raise Stock.DoesNotExist(f"No stock row for product(s) {missing}.")
    rows = []
    for product_id, units in quantities.items():
        stock = stocks[product_id]
        stock.allocated += allocated * units
        stock.quantity += quantity * units
        stock.full_clean(exclude=["product"])
        rows.append(stock)
    fields = ["allocated", "quantity"] if quantity else ["allocated"]
    Stock.objects.bulk_update(rows, fields)
    bump_version()  # a bulk update sends no post_save: the shared storefront must still follow
