"""Staff move orders through their lifecycle with buttons on the order page (each with a
confirmation page) and bulk actions on the list, all calling the services, so stock
bookkeeping, refunds and e-mails happen exactly as anywhere else."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from orders.models import (
    Cart,
    CartKit,
    CartLine,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatus,
    Payment,
)
from orders.services import lifecycle
from skinshop.errors import ApplicationError


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
        "note",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@dataclass(frozen=True)
class OrderMove:
    """A button on the order page: its confirmation page's words and the service it runs."""

    key: str
    label: str
    question: str
    consequence: str
    done: str
    permission: str  # "change" or "cancel"
    allowed: Callable[[Order], bool]


def _may_refund(order: Order) -> bool:
    return order.status in lifecycle.REFUNDABLE and lifecycle.refundable(order) > 0


MOVES: dict[str, OrderMove] = {
    move.key: move
    for move in (
        OrderMove(
            "ship",
            "Mark shipped",
            "Mark order {number} shipped?",
            "Its units leave the shelf (stock and reservations drop) and the shopper gets the "
            "shipping e-mail, with the tracking number if you give one.",
            "marked shipped",
            "change",
            lambda order: lifecycle.can_move(order, OrderStatus.SHIPPED),
        ),
        OrderMove(
            "deliver",
            "Mark delivered",
            "Mark order {number} delivered?",
            "Nothing else changes; it can still be refunded (a return).",
            "marked delivered",
            "change",
            lambda order: lifecycle.can_move(order, OrderStatus.DELIVERED),
        ),
        OrderMove(
            "cancel",
            "Cancel and refund",
            "Cancel order {number}?",
            "Its reserved stock goes back on sale and everything still paid on it is refunded "
            "to the shopper's card, who is told by e-mail. This cannot be undone.",
            "cancelled",
            "cancel",
            lambda order: lifecycle.can_move(order, OrderStatus.CANCELLED),
        ),
        OrderMove(
            "refund",
            "Refund",
            "Refund money on order {number}?",
            "The amount goes back to the shopper's card, who is told by e-mail. Refunding all "
            "that is left of a shipped or delivered order marks it refunded (a return); put "
            "returned units back in the product's stock by hand once you have checked them.",
            "refunded",
            "cancel",
            _may_refund,
        ),
    )
}


class ShipForm(forms.Form):
    tracking_number = forms.CharField(
        label="Tracking number", max_length=100, required=False, help_text="Optional."
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount", max_digits=10, decimal_places=2)
    note = forms.CharField(
        label="Reason",
        max_length=200,
        required=False,
        help_text="Shown to the shopper, e.g. “Returned unopened” or “One tube leaked”.",
    )

    def __init__(self, *args, order: Order, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields[
            "amount"
        ].help_text = f"Up to {lifecycle.refundable(order)} {order.currency} is left to refund."

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        problem = lifecycle.refund_problem(self.order, amount)
        if problem:
            raise forms.ValidationError(problem)
        return amount


def _move_form(move: OrderMove, order: Order, data=None) -> forms.Form | None:
    if move.key == "ship":
        return ShipForm(data)
    if move.key == "refund":
        initial = {"amount": lifecycle.refundable(order)}
        return RefundForm(data, order=order, initial=initial)
    return None


def _run_move(move: OrderMove, order: Order, form: forms.Form | None) -> Order:
    data = form.cleaned_data if form is not None else {}
    if move.key == "ship":
        return lifecycle.order_ship(order=order, tracking_number=data["tracking_number"])
    if move.key == "deliver":
        return lifecycle.order_deliver(order=order)
    if move.key == "cancel":
        return lifecycle.order_cancel(order=order)
    return lifecycle.order_refund(order=order, amount=data["amount"], note=data["note"])


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
        except ApplicationError as error:
            modeladmin.message_user(request, str(error.message), messages.ERROR)
        else:
            moved += 1
    if moved:
        modeladmin.message_user(request, f"{moved} order(s) {done}.", messages.SUCCESS)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Few, short columns: the list fits a 1280 px screen beside its filters.
    list_display = ["number", "created_at", "email", "status", "total"]
    list_filter = ["status", "created_at"]
    search_fields = ["number", "email", "full_name", "user__username", "tracking_number"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderDiscountInline, PaymentInline]
    actions = ["mark_shipped", "mark_delivered", "cancel"]
    change_form_template = "admin/orders/order/change_form.html"
    # Status and money change only through the buttons and actions (services); the address
    # may be fixed.
    readonly_fields = [
        "number",
        "user",
        "status",
        "tracking_number",
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
        "refunded_at",
    ]
    fieldsets = [
        (None, {"fields": ["number", "user", "status", "email", "tracking_number"]}),
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
            {
                "fields": [
                    "created_at",
                    "paid_at",
                    "shipped_at",
                    "delivered_at",
                    "cancelled_at",
                    "refunded_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from checkouts

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # cancel instead: deleting would strand allocated stock

    # Each action moves money or stock: view_order alone offers none of them.
    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    def _may(self, request: HttpRequest, move: OrderMove, order: Order) -> bool:
        if move.permission == "cancel":
            allowed = self.has_cancel_permission(request)
        else:
            allowed = self.has_change_permission(request, order)
        return allowed and move.allowed(order)

    def moves_for(self, request: HttpRequest, order: Order) -> list[tuple[OrderMove, str]]:
        """The buttons the order page shows: the moves its status allows that this user
        holds the permission for, each with its confirmation page's address."""
        return [
            (move, reverse(f"admin:orders_order_{move.key}", args=[order.pk]))
            for move in MOVES.values()
            if self._may(request, move, order)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra = {"order_moves": self.moves_for(request, order) if order else []}
        return super().change_view(request, object_id, form_url, extra | (extra_context or {}))

    def get_urls(self):
        moves = [
            path(
                f"<path:object_id>/{key}/",
                self.admin_site.admin_view(self.move_view),
                {"key": key},
                name=f"orders_order_{key}",
            )
            for key in MOVES
        ]
        return [*moves, *super().get_urls()]

    def move_view(self, request: HttpRequest, object_id: str, key: str) -> HttpResponse:
        """GET: what the move does, and a form to confirm it; POST: do it, back to the order."""
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404("No such order.")
        move = MOVES[key]
        back = reverse("admin:orders_order_change", args=[order.pk])
        if not self._may(request, move, order):
            if not move.allowed(order):
                text = f"Order {order.number} is {order.get_status_display().lower()}: "
                self.message_user(request, text + f"it cannot be {move.done}.", messages.ERROR)
                return redirect(back)
            raise PermissionDenied
        form = _move_form(move, order, request.POST if request.method == "POST" else None)
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                _run_move(move, order, form)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"Order {order.number} {move.done}.", messages.SUCCESS)
            return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": order,
            "title": move.question.format(number=order.number),
            "move": move,
            "form": form,
            "back": back,
        }
        return TemplateResponse(request, "admin/orders/order/confirm_move.html", context)

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
        description="Cancel selected orders (releases stock, refunds payments)…",
        permissions=["cancel"],
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet[Order]):
        # Money goes back: the list asks first, as Django's delete action does.
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Cancel these orders?",
                "orders": queryset.order_by("pk"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "move": MOVES["cancel"],
            }
            return TemplateResponse(request, "admin/orders/order/confirm_cancel.html", context)
        _run_transition(request, queryset, lifecycle.order_cancel, "cancelled", self)
        return None


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
