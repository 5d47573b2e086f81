"""Staff move orders through their lifecycle with admin actions that call the services, so
stock bookkeeping and e-mails happen exactly as anywhere else."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.models import Cart, CartKit, CartLine, Order, OrderDiscount, OrderLine, Payment
from orders.services import lifecycle


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product", "product_name", "unit_price", "quantity", "line_total"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OrderDiscountInline(admin.TabularInline):
    model = OrderDiscount
    extra = 0
    can_delete = False
    verbose_name = "kit discount"
    fields = ["name", "discount_percent", "full_price", "amount", "source"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "amount",
        "currency",
        "gateway",
        "reference",
        "card_brand",
        "card_last4",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _run_transition(
    request: HttpRequest,
    queryset: QuerySet[Order],
    service: Callable[..., Order],
    done: str,
    modeladmin: admin.ModelAdmin,
) -> None:
    moved = 0
    for order in queryset.order_by("pk"):
        try:
            service(order=order)
        except (lifecycle.InvalidTransition, lifecycle.RefundFailed) as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
        else:
            moved += 1
    if moved:
        modeladmin.message_user(request, f"{moved} order(s) {done}.", messages.SUCCESS)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "created_at", "email", "status", "total", "currency"]
    list_filter = ["status", "created_at"]
    search_fields = ["number", "email", "full_name", "user__username"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderDiscountInline, PaymentInline]
    actions = ["mark_shipped", "mark_delivered", "cancel"]
    # Status and money change only through the actions (services); the address may be fixed.
    readonly_fields = [
        "number",
        "user",
        "status",
        "currency",
        "subtotal",
        "discount",
        "shipping",
        "total",
        "created_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
    ]
    fieldsets = [
        (None, {"fields": ["number", "user", "status", "email"]}),
        (
            "Shipping address",
            {
                "fields": [
                    "full_name",
                    "address_line1",
                    "address_line2",
                    "postcode",
                    "city",
                    "country",
                ]
            },
        ),
        ("Money", {"fields": ["currency", "subtotal", "discount", "shipping", "total"]}),
        (
            "History",
            {"fields": ["created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from checkouts

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cancel instead: deleting would strand allocated stock

    # Each action moves money or stock: view_order alone offers none of them.
    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    @admin.action(
        description="Mark selected orders shipped (takes the stock off the shelf)",
        permissions=["change"],
    )
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run_transition(request, queryset, lifecycle.order_ship, "marked shipped", self)

    @admin.action(description="Mark selected orders delivered", permissions=["change"])
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run_transition(request, queryset, lifecycle.order_deliver, "marked delivered", self)

    @admin.action(
        description="Cancel selected orders (releases stock, refunds payments)",
        permissions=["cancel"],
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run_transition(request, queryset, lifecycle.order_cancel, "cancelled", self)


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["product"]


class CartKitInline(admin.TabularInline):
    """Kits are recorded by "add the whole kit"; staff look, and may drop one."""

    model = CartKit
    extra = 0
    fields = ["name", "discount_percent", "products", "source", "added_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Products")
    def products(self, kit: CartKit) -> str:
        return ", ".join(str(item) for item in kit.items.select_related("product"))


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "updated_at"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
    inlines = [CartLineInline, CartKitInline]
