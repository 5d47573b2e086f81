from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class ProductRole(models.TextChoices):
    """The part a product plays in a skincare routine."""

    CLEANSER = "cleanser", "Cleanser"
    TREATMENT = "treatment", "Treatment"
    MOISTURIZER = "moisturizer", "Moisturizer"
    SUNSCREEN = "sunscreen", "Sunscreen"
    SPOT_CARE = "spot_care", "Spot care"


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class NamedTag(models.Model):
    """A name with a slug, listed alphabetically: the shape of ingredients and concerns."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ingredient(NamedTag):
    """A key active ingredient (benzoyl peroxide, salicylic acid, adapalene, ...)."""


class SkinConcern(NamedTag):
    """A skin concern a product addresses (acne, blackheads, redness, dryness, ...)."""


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    brand = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    image = models.ImageField(upload_to="products/", blank=True)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    role = models.CharField(max_length=20, choices=ProductRole.choices)
    key_ingredients = models.ManyToManyField(Ingredient, blank=True, related_name="products")
    skin_concerns = models.ManyToManyField(SkinConcern, blank=True, related_name="products")
    is_active = models.BooleanField(default=True, help_text="Inactive products are hidden.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0")
        ]
        indexes = [models.Index(fields=["is_active", "category"])]

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:product_detail", kwargs={"slug": self.slug})


class Stock(models.Model):
    """Stock of one product, the django-oscar way.

    ``quantity`` is what is on the shelf; ``allocated`` is what placed orders have reserved
    but not yet shipped. What can still be sold is ``quantity - allocated``. Allocation happens
    at order placement, consumption at shipping, release at cancellation.
    """

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="stock")
    quantity = models.PositiveIntegerField(default=0)
    allocated = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(allocated__lte=F("quantity")), name="stock_allocated_lte_quantity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.available} available"

    def clean(self) -> None:
        # The check constraint says the same, but forms that leave ``allocated`` out (admin)
        # skip it; this gives staff a message instead of an IntegrityError.
        if self.allocated > self.quantity:
            raise ValidationError(
                {
                    "quantity": f"Orders have already reserved {self.allocated}; "
                    f"the quantity cannot be lower."
                }
            )

    @property
    def available(self) -> int:
        return self.quantity - self.allocated
