import pytest

from tests.catalog.factories import IngredientFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_product_factory_creates_its_stock():
    product = ProductFactory(stock=3)

    assert product.stock.quantity == 3
    assert product.stock.available == 3


def test_product_factory_default_stock_and_allocation():
    product = ProductFactory(stock__allocated=4)

    assert product.stock.quantity == 10
    assert product.stock.available == 6


def test_product_factory_sets_ingredients():
    salicylic = IngredientFactory(name="Salicylic acid", slug="salicylic-acid")

    product = ProductFactory(key_ingredients=[salicylic])

    assert list(product.key_ingredients.all()) == [salicylic]
