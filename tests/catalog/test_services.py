from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Product, ProductRole, Stock
from tests.catalog.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def upsert(**overrides):
    values = {
        "slug": "bp-gel",
        "category": overrides.pop("category", None) or CategoryFactory(slug="treatments"),
        "name": "BP Gel",
        "brand": "ClearLab",
        "price": Decimal("9.90"),
        "role": ProductRole.TREATMENT,
        "initial_stock": 12,
    }
    return services.product_upsert(**(values | overrides))


def test_product_upsert_creates_the_product_with_its_stock():
    result = upsert()

    assert result.created and not result.updated
    assert result.product.stock.quantity == 12


def test_product_upsert_with_same_values_writes_nothing():
    first = upsert().product

    again = upsert(category=first.category)

    assert not again.created and not again.updated
    assert Product.objects.get().updated_at == first.updated_at


def test_product_upsert_updates_changed_fields_but_keeps_stock():
    product = upsert().product
    Stock.objects.filter(product=product).update(quantity=3)

    result = upsert(category=product.category, price=Decimal("8.50"), initial_stock=99)

    assert result.updated
    product.refresh_from_db()
    assert product.price == Decimal("8.50")
    assert product.stock.quantity == 3


def test_product_upsert_rejects_a_negative_price_and_saves_nothing():
    with pytest.raises(ValidationError) as error:
        upsert(price=Decimal("-1.00"))

    assert "price" in error.value.message_dict
    assert not Product.objects.exists()


def test_stock_ensure_never_resets_an_existing_row():
    product = ProductFactory(stock=4)

    stock = services.stock_ensure(product=product, quantity=50)

    assert stock.quantity == 4


def test_product_image_generate_stores_a_png_once():
    product = ProductFactory(slug="gel")

    assert services.product_image_generate(product=product, shape="tube", colour="#cc0000")
    name = product.image.name
    assert product.image.storage.exists(name)
    assert product.image.read(8) == b"\x89PNG\r\n\x1a\n"

    assert not services.product_image_generate(product=product, shape="tube", colour="#cc0000")
    assert product.image.name == name


def test_product_image_generate_replaces_a_missing_file():
    product = ProductFactory(slug="gel", image="products/gone.png")

    assert services.product_image_generate(product=product, shape="jar", colour="#00aa00")
    assert product.image.storage.exists(product.image.name)
