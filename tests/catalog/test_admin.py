import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from catalog.images import render_product_image
from catalog.models import Product, Stock
from tests.catalog.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def product_with_image(**kwargs) -> Product:
    product = ProductFactory(**kwargs)
    png = render_product_image(
        name=product.name, brand=product.brand, colour="#336699", shape="jar"
    )
    product.image.save(f"{product.slug}.png", ContentFile(png))
    return product


def test_product_changelist_shows_thumbnails(admin_client):
    product = product_with_image(slug="jar-cream")

    response = admin_client.get(reverse("admin:catalog_product_changelist"))

    assert response.status_code == 200
    assert f'<img src="{product.image.url}"'.encode() in response.content


def test_product_changelist_search_and_filters(admin_client):
    ProductFactory(name="Salicylic wash", brand="ClearLab", slug="wash")
    ProductFactory(name="Barrier cream", brand="Dermaclar", slug="cream")
    url = reverse("admin:catalog_product_changelist")

    by_search = admin_client.get(url, {"q": "salicylic"})
    by_brand = admin_client.get(url, {"brand": "Dermaclar"})

    assert list(by_search.context["cl"].result_list.values_list("slug", flat=True)) == ["wash"]
    assert list(by_brand.context["cl"].result_list.values_list("slug", flat=True)) == ["cream"]


def test_product_change_page_has_preview_and_stock_inline(admin_client):
    product = product_with_image(slug="jar-cream", stock=8)

    response = admin_client.get(reverse("admin:catalog_product_change", args=[product.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert f'<img src="{product.image.url}"' in content
    assert 'name="stock-0-quantity"' in content


def test_a_product_added_in_admin_gets_a_stock_row(admin_client):
    category = CategoryFactory()

    response = admin_client.post(
        reverse("admin:catalog_product_add"),
        {
            "name": "New gel",
            "slug": "new-gel",
            "brand": "ClearLab",
            "category": category.pk,
            "role": "treatment",
            "price": "7.50",
            "is_active": "on",
            "description": "",
            "stock-TOTAL_FORMS": "1",
            "stock-INITIAL_FORMS": "0",
            "stock-MIN_NUM_FORMS": "1",
            "stock-MAX_NUM_FORMS": "1",
            "stock-0-quantity": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Stock.objects.get(product__slug="new-gel").quantity == 0


def test_stock_below_what_orders_allocated_is_refused_with_a_message(admin_client):
    product = ProductFactory(stock=10, stock__allocated=6)
    url = reverse("admin:catalog_product_change", args=[product.pk])

    response = admin_client.post(
        url,
        {
            "name": product.name,
            "slug": product.slug,
            "brand": product.brand,
            "category": product.category.pk,
            "role": product.role,
            "price": "9.90",
            "is_active": "on",
            "description": product.description,
            "stock-TOTAL_FORMS": "1",
            "stock-INITIAL_FORMS": "1",
            "stock-MIN_NUM_FORMS": "1",
            "stock-MAX_NUM_FORMS": "1",
            "stock-0-id": product.stock.pk,
            "stock-0-product": product.pk,
            "stock-0-quantity": "4",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert b"errorlist" in response.content
    assert Stock.objects.get(product=product).quantity == 10


@pytest.mark.parametrize("model", ["category", "ingredient", "skinconcern"])
def test_other_catalog_changelists_load(admin_client, model):
    assert admin_client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200
