from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Category, Ingredient, Product, SkinConcern
from catalog.selectors import SORT_OPTIONS, stock_status


class CategorySerializer(serializers.ModelSerializer):
    product_count = serializers.IntegerField(read_only=True, help_text="Active products in it.")

    class Meta:
        model = Category
        fields = ["slug", "name", "description", "product_count"]


class _TagSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class IngredientSerializer(_TagSerializer):
    class Meta:
        model = Ingredient


class SkinConcernSerializer(_TagSerializer):
    class Meta:
        model = SkinConcern


class ProductListSerializer(serializers.ModelSerializer):
    """A product as lists show it; expects a product from catalog.selectors."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    currency = serializers.SerializerMethodField()
    available = serializers.IntegerField(read_only=True, help_text="Units that can be ordered.")
    stock_status = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:product-detail", lookup_field="slug", read_only=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "url",
            "name",
            "brand",
            "category",
            "role",
            "price",
            "currency",
            "image",
            "available",
            "stock_status",
        ]

    def get_currency(self, product: Product) -> str:
        return settings.SHOP_CURRENCY

    @extend_schema_field(serializers.ChoiceField(choices=["in_stock", "low", "out"]))
    def get_stock_status(self, product: Product) -> str:
        return stock_status(product.available)


class ProductDetailSerializer(ProductListSerializer):
    category = CategorySerializer(read_only=True)
    key_ingredients = IngredientSerializer(many=True, read_only=True)
    skin_concerns = SkinConcernSerializer(many=True, read_only=True)

    class Meta(ProductListSerializer.Meta):
        fields = ProductListSerializer.Meta.fields + [
            "description",
            "key_ingredients",
            "skin_concerns",
        ]


class ProductFilterSerializer(serializers.Serializer):
    """The query parameters of the product list; bad values give a 400 with a clear message."""

    category = serializers.SlugField(required=False, help_text="A category's slug.")
    search = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Matches name, brand, description or a key ingredient.",
    )
    ordering = serializers.ChoiceField(
        required=False, choices=[option.key for option in SORT_OPTIONS]
    )

    def validate_category(self, slug: str) -> str:
        if not Category.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(f"There is no category {slug!r}.")
        return slug
