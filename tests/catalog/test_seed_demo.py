import pytest
from django.core.management import call_command

from catalog import demo_data
from catalog.models import Category, Ingredient, Product, ProductRole, SkinConcern, Stock

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Category, Product, Ingredient, SkinConcern, Stock)
    }


def snapshot() -> list[tuple]:
    return list(
        Product.objects.order_by("slug").values_list(
            "slug", "name", "price", "image", "updated_at", "stock__quantity"
        )
    )


def test_seed_demo_fills_the_catalog(capsys):
    call_command("seed_demo")

    assert counts() == {
        "Category": len(demo_data.CATEGORIES),
        "Product": len(demo_data.PRODUCTS),
        "Ingredient": len(demo_data.INGREDIENTS),
        "SkinConcern": len(demo_data.CONCERNS),
        "Stock": len(demo_data.PRODUCTS),
    }
    assert set(Product.objects.values_list("role", flat=True)) == set(ProductRole.values)
    for product in Product.objects.all():
        assert product.image.storage.exists(product.image.name), product.slug
        assert product.key_ingredients.exists() and product.skin_concerns.exists()
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1
    assert f"{len(demo_data.PRODUCTS)} created" in out


def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    before_counts, before = counts(), snapshot()

    call_command("seed_demo")

    assert counts() == before_counts
    assert snapshot() == before
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "0 created, 0 updated), 0 images generated, 0 stock rows created" in last_line


def test_seed_demo_keeps_stock_that_staff_edited():
    call_command("seed_demo")
    Stock.objects.filter(product__slug="adapalene-0-1-gel").update(quantity=2)

    call_command("seed_demo")

    assert Stock.objects.get(product__slug="adapalene-0-1-gel").quantity == 2


def test_demo_data_is_consistent():
    category_slugs = {c.slug for c in demo_data.CATEGORIES}
    product_slugs = [p.slug for p in demo_data.PRODUCTS]
    assert len(product_slugs) == len(set(product_slugs))
    for product in demo_data.PRODUCTS:
        assert product.category in category_slugs
        assert product.role in ProductRole.values
        assert set(product.ingredients) <= set(demo_data.INGREDIENTS)
        assert set(product.concerns) <= set(demo_data.CONCERNS)
