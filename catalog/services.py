"""Catalog writes: categories, products and their stock rows (the stock movements of orders,
allocate, release and dispatch, are in catalog.stock)."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from catalog import demo_data
from catalog.images import render_product_image
from catalog.models import Category, Ingredient, Product, SkinConcern, Stock
from skinshop.upsert import upsert_by_slug


def category_upsert(*, slug: str, name: str, description: str = "", position: int = 0) -> Category:
    values = {"name": name, "description": description, "position": position}
    category, _, _ = upsert_by_slug(Category, slug=slug, values=values)
    return category


def _named_get_or_create(model: type[Ingredient] | type[SkinConcern], name: str):
    instance = model.objects.filter(slug=slugify(name)).first()
    if instance is None:
        instance = model(name=name, slug=slugify(name))
        instance.full_clean()
        instance.save()
    return instance


def ingredient_get_or_create(*, name: str) -> Ingredient:
    return _named_get_or_create(Ingredient, name)


def skin_concern_get_or_create(*, name: str) -> SkinConcern:
    return _named_get_or_create(SkinConcern, name)


def stock_ensure(*, product: Product, quantity: int = 0) -> Stock:
    """The product's stock row, created with ``quantity`` only when it is missing.

    An existing row is never touched: staff edit stock in admin, orders allocate from it.
    """
    stock, _ = Stock.objects.get_or_create(product=product, defaults={"quantity": quantity})
    return stock


@dataclass
class ProductUpsertResult:
    product: Product
    created: bool
    updated: bool


@transaction.atomic
def product_upsert(
    *,
    slug: str,
    category: Category,
    name: str,
    brand: str,
    price: Decimal,
    role: str,
    description: str = "",
    ingredients: list[Ingredient] | None = None,
    concerns: list[SkinConcern] | None = None,
    is_active: bool = True,
    initial_stock: int = 0,
) -> ProductUpsertResult:
    """Create or update the product with ``slug``; a new product gets ``initial_stock``.

    Fields that already hold the given values are not written again.
    """
    values = {
        "category": category,
        "name": name,
        "brand": brand,
        "price": price,
        "role": role,
        "description": description,
        "is_active": is_active,
    }
    product, created, updated = upsert_by_slug(Product, slug=slug, values=values)
    for relation, wanted in (("key_ingredients", ingredients), ("skin_concerns", concerns)):
        if wanted is None:
            continue
        manager = getattr(product, relation)
        if {item.pk for item in manager.all()} != {item.pk for item in wanted}:
            manager.set(wanted)
            updated = True
    stock_ensure(product=product, quantity=initial_stock)
    return ProductUpsertResult(product=product, created=created, updated=updated and not created)


def product_image_generate(*, product: Product, shape: str, colour: str) -> bool:
    """Draw and store a packshot unless the product already has an image that exists.

    Returns whether an image was written. The file goes through the default storage, so it
    lands in the media folder or the bucket alike.
    """
    if product.image and product.image.storage.exists(product.image.name):
        return False
    content = render_product_image(
        name=product.name, brand=product.brand, colour=colour, shape=shape
    )
    product.image.save(f"{product.slug}.png", ContentFile(content), save=False)
    product.save(update_fields=["image", "updated_at"])
    return True


@dataclass
class SeedSummary:
    categories: int = 0
    products: int = 0
    created: int = 0
    updated: int = 0
    images: int = 0
    stock_rows: int = 0

    def __str__(self) -> str:
        return (
            f"Demo catalog: {self.categories} categories, {self.products} products "
            f"({self.created} created, {self.updated} updated), {self.images} images generated, "
            f"{self.stock_rows} stock rows created."
        )


@transaction.atomic
def demo_catalog_seed(
    *,
    categories: tuple[demo_data.DemoCategory, ...] = demo_data.CATEGORIES,
    products: tuple[demo_data.DemoProduct, ...] = demo_data.PRODUCTS,
) -> SeedSummary:
    """Load the demo catalog. Running it again changes nothing.

    Products are matched by slug: their descriptive fields follow the demo data, but a stock
    row is created only when missing, so stock that staff edited (or orders allocated) stays.
    Images are drawn only for products without one.
    """
    summary = SeedSummary(categories=len(categories), products=len(products))
    stock_before = Stock.objects.count()
    by_slug = {
        item.slug: category_upsert(
            slug=item.slug, name=item.name, description=item.description, position=item.position
        )
        for item in categories
    }
    for item in products:
        result = product_upsert(
            slug=item.slug,
            category=by_slug[item.category],
            name=item.name,
            brand=item.brand,
            price=item.price,
            role=item.role,
            description=item.description,
            ingredients=[ingredient_get_or_create(name=name) for name in item.ingredients],
            concerns=[skin_concern_get_or_create(name=name) for name in item.concerns],
            initial_stock=item.stock,
        )
        summary.created += result.created
        summary.updated += result.updated
        summary.images += product_image_generate(
            product=result.product, shape=item.shape, colour=item.colour
        )
    summary.stock_rows = Stock.objects.count() - stock_before
    return summary
