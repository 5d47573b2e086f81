"""The catalog's stock operations: orders reserve, give back and ship units only through them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import stock
from catalog.models import Product, Stock
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db


def shelf(product: Product) -> tuple[int, int]:
    """(quantity, allocated) of the product's stock row, as stored."""
    row = Stock.objects.get(product=product)
    return row.quantity, row.allocated


def test_allocate_reserves_units_without_taking_them_off_the_shelf():
    gel, cream = ProductFactory(stock=5), ProductFactory(stock=3)

    stock.allocate(quantities={gel.pk: 2, cream.pk: 3})

    assert shelf(gel) == (5, 2) and shelf(cream) == (3, 3)


def test_allocate_more_than_available_names_every_product_short_and_changes_nothing():
    gel = ProductFactory(name="Gel", stock=5, stock__allocated=4)
    patches = ProductFactory(name="Patches", stock=0)
    cream = ProductFactory(stock=10)

    with pytest.raises(stock.InsufficientStock) as raised:
        stock.allocate(quantities={gel.pk: 2, patches.pk: 1, cream.pk: 1})

    error = raised.value
    assert error.status == 409 and error.code == "insufficient_stock"
    assert [(s.product, s.requested, s.available) for s in error.shortages] == [
        (gel, 2, 1),
        (patches, 1, 0),
    ]
    assert error.message == (
        "Not enough stock for Acme Derm Gel (only 1 left, 2 wanted); "
        "Acme Derm Patches (sold out)."
    )
    assert shelf(gel) == (5, 4) and shelf(cream) == (10, 0)


def test_a_product_no_longer_sold_or_without_a_stock_row_cannot_be_allocated():
    retired = ProductFactory(stock=10, is_active=False)
    rowless = ProductFactory(stock=10)
    Stock.objects.filter(product=rowless).delete()

    with pytest.raises(stock.InsufficientStock) as raised:
        stock.allocate(quantities={retired.pk: 1, rowless.pk: 1})

    assert [s.product for s in raised.value.shortages] == [retired, rowless]
    assert all(s.available == 0 for s in raised.value.shortages)


def test_release_gives_a_reservation_back():
    gel = ProductFactory(stock=5, stock__allocated=3)

    stock.release(quantities={gel.pk: 2})

    assert shelf(gel) == (5, 1)


def test_dispatch_takes_shipped_units_off_the_shelf_and_out_of_the_reservation():
    gel = ProductFactory(stock=5, stock__allocated=3)

    stock.dispatch(quantities={gel.pk: 3})

    assert shelf(gel) == (2, 0)


@pytest.mark.parametrize("operation", [stock.release, stock.dispatch])
def test_giving_back_or_shipping_more_than_was_reserved_is_refused(operation):
    gel = ProductFactory(stock=5, stock__allocated=1)

    with pytest.raises(ValidationError):
        operation(quantities={gel.pk: 2})

    assert shelf(gel) == (5, 1)


def test_rows_are_locked_in_primary_key_order_and_written_in_one_update():
    products = [ProductFactory(stock=5) for _ in range(3)]

    with CaptureQueriesContext(connection) as queries:
        stock.allocate(quantities={p.pk: 1 for p in reversed(products)})

    statements = [q["sql"] for q in queries.captured_queries]
    locks = [sql for sql in statements if "FOR UPDATE" in sql]
    updates = [sql for sql in statements if sql.startswith("UPDATE")]
    if connection.features.has_select_for_update:
        assert len(locks) == 1 and 'ORDER BY "catalog_stock"."id" ASC' in locks[0]
    assert len(updates) == 1
