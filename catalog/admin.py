from django.contrib import admin
from django.utils.html import format_html

from catalog import services
from catalog.models import Category, Ingredient, Product, SkinConcern, Stock


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Ingredient)
class IngredientAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SkinConcern)
class SkinConcernAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class StockInline(admin.StackedInline):
    model = Stock
    can_delete = False
    # Allocation belongs to orders (placed, not yet shipped); staff edit the shelf quantity.
    fields = ["quantity", "allocated", "available"]
    readonly_fields = ["allocated", "available"]
    min_num = 1
    max_num = 1

    @admin.display(description="Available")
    def available(self, stock: Stock) -> int | str:
        return stock.available if stock.pk else "—"


def _thumbnail(product: Product, size: int) -> str:
    if not product.image:
        return "—"
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" style="object-fit:cover;border-radius:6px">',
        product.image.url,
        size,
        size,
    )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "name",
        "brand",
        "category",
        "role",
        "price",
        "stock_available",
        "is_active",
    ]
    list_display_links = ["thumbnail", "name"]
    list_editable = ["price", "is_active"]
    list_filter = ["category", "role", "brand", "is_active"]
    list_select_related = ["category", "stock"]
    search_fields = ["name", "slug", "brand", "description", "key_ingredients__name"]
    search_help_text = "Name, slug, brand, description or key ingredient."
    prepopulated_fields = {"slug": ["brand", "name"]}
    autocomplete_fields = ["key_ingredients", "skin_concerns"]
    readonly_fields = ["image_preview", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "brand", "category", "role", "price", "is_active"]}),
        ("Description", {"fields": ["description", "key_ingredients", "skin_concerns"]}),
        ("Image", {"fields": ["image", "image_preview"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [StockInline]
    list_per_page = 50

    @admin.display(description="Image")
    def thumbnail(self, product: Product) -> str:
        return _thumbnail(product, 48)

    @admin.display(description="Preview")
    def image_preview(self, product: Product) -> str:
        return _thumbnail(product, 240)

    @admin.display(description="Available", ordering="stock__quantity")
    def stock_available(self, product: Product) -> int | str:
        stock = getattr(product, "stock", None)
        return stock.available if stock else "no stock row"

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Orders lock and allocate the Stock row, so every product must have one.
        services.stock_ensure(product=form.instance)
