"""Catalog factories; other apps' tests import them from ``tests.catalog.factories``."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from catalog.models import Category, Ingredient, Product, ProductRole, SkinConcern, Stock


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class IngredientFactory(DjangoModelFactory):
    class Meta:
        model = Ingredient
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Ingredient {n}")
    slug = factory.Sequence(lambda n: f"ingredient-{n}")


class SkinConcernFactory(DjangoModelFactory):
    class Meta:
        model = SkinConcern
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Concern {n}")
    slug = factory.Sequence(lambda n: f"concern-{n}")


class ProductFactory(DjangoModelFactory):
    """A product with its Stock row.

    ``ProductFactory(stock=3)`` sets the shelf quantity (default 10);
    ``ProductFactory(key_ingredients=[...], skin_concerns=[...])`` fills the many-to-manys.
    """

    class Meta:
        model = Product
        skip_postgeneration_save = True

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    brand = "Acme Derm"
    description = "A gentle product for acne-prone skin."
    price = Decimal("9.90")
    role = ProductRole.TREATMENT
    is_active = True

    @factory.post_generation
    def stock(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy passes the object
        if not create:
            return
        quantity = 10 if extracted is None else extracted
        Stock.objects.create(product=obj, quantity=quantity, allocated=kwargs.get("allocated", 0))

    @factory.post_generation
    def key_ingredients(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.key_ingredients.set(extracted)

    @factory.post_generation
    def skin_concerns(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.skin_concerns.set(extracted)
