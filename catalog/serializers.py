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
        help_text="Every word (or a synonym: pimple → acne, retinol → retinoid) in the name, "
        "brand, description, key ingredients or skin concerns; stemmed, typos in names "
        "forgiven, best matches first unless `ordering` is given.",
    )
    ordering = serializers.ChoiceField(
        required=False, choices=[option.key for option in SORT_OPTIONS]
    )

    def to_internal_value(self, data):
        # DRF reads an empty query parameter of an optional field as "not given", while the
        # schema (and a client) take `?search=` for a value, one it forbids. Refuse it, as
        # `?search=%20` already is and as the orders API refuses an empty `?page=`.
        blank = {
            name: ["This field may not be blank."] for name in self.fields if data.get(name) == ""
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)

    def validate_category(self, slug: str) -> str:
        if not Category.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(f"There is no category {slug!r}.")
        return slug
