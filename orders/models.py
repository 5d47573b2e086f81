"""Carts, orders, their lines and payments.

Money is ``Decimal`` with two places everywhere. An order keeps a snapshot of every price
and product name at placement, so later catalog edits never change what a customer bought.
The sums (line total, order total) are computed by the services, not checked by database
constraints: SQLite, the embedded default, does decimal arithmetic in floating point, where
12.90 + 4.90 != 17.80.

A kit (a bundle of products added in one go, e.g. a recommendation's routine) may carry a
discount: ``CartKit`` records it on the cart, ``selectors.cart_totals`` decides whether it
applies, and ``OrderDiscount`` keeps what an order got. Who offered the kit is an opaque
``source`` here, so this app knows nothing of the apps that offer kits.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from catalog.models import Product


class Cart(models.Model):
    """A shopper's cart: a signed-in user's (one per user) or an anonymous session's.

    Anonymous carts have no user; the session keeps their id. At log-in the session's cart is
    merged into the user's cart and deleted.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Cart #{self.pk} ({self.user or 'anonymous'})"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cartline_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


# A kit may never be free: the discount stays below 100 % whatever the offering app allows.
KIT_DISCOUNT_LIMIT = Decimal("99.99")


class CartKit(models.Model):
    """A kit added to a cart, with its discount: one record per kit (``source``) and cart.

    The discount applies only while the cart holds at least the kit's quantities of every
    product of the kit (``selectors.cart_totals``); the record stays, so the discount comes
    back when the shopper puts a removed product back.
    """

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="kits")
    source = models.CharField(
        max_length=100, help_text='Who offered the kit, e.g. "recommendation-rule:12".'
    )
    name = models.CharField(max_length=150)
    discount_percent = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(KIT_DISCOUNT_LIMIT)],
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "source"], name="cartkit_unique_source"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lt=100),
                name="cartkit_discount_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (−{self.discount_percent.normalize():f} %)"


class CartKitItem(models.Model):
    """A product of a cart's kit and how many units of it make the kit whole."""

    kit = models.ForeignKey(CartKit, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    offer = models.CharField(
        max_length=100,
        blank=True,
        help_text="Who put the product in the kit when not the kit's own offer, e.g. "
        '"zone-rule:3"; it stays in the kit (at its discount) only while that offer stands.',
    )

    # Set in memory by ``selectors.current_kit_discounts`` when ``offer`` has ended today.
    withdrawn = False

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "product"], name="cartkititem_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartkititem_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    # Shipped or delivered, then all its money given back (a return).
    REFUNDED = "refunded", "Refunded"


class Order(models.Model):
    """A placed order. ``user`` is empty for a guest checkout; ``email`` is always set."""

    number = models.CharField(max_length=20, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    # The checkout form's hidden key or the API's Idempotency-Key header: a second submit with
    # the same key finds this order instead of placing another one.
    idempotency_key = models.UUIDField(unique=True, editable=False)
    # The cart the order was placed from: a guest's replay of the key must come from the same
    # cart (the same browser session), else it would hand the order to whoever knows the key.
    checkout_cart_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )

    email = models.EmailField("e-mail")
    full_name = models.CharField(max_length=200)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=100)

    currency = models.CharField(max_length=3)
    # total = subtotal - discount + shipping; the discount is the sum of the order's
    # ``discounts`` (kit discounts), kept here so that every reader adds up the same way.
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    shipping = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)

    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    tracking_number = models.CharField(
        max_length=100, blank=True, help_text="The carrier's tracking number, given at shipping."
    )

    # Set by ``services.checkout.order_place`` on the order an earlier submit with the key placed.
    is_replay = False

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            # Cancelling refunds the customer's money: more than editing an address.
            ("cancel_order", "Can cancel orders and refund their payments"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="order_subtotal_gte_0"),
            models.CheckConstraint(condition=Q(shipping__gte=0), name="order_shipping_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="order_discount_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:order_detail", kwargs={"number": self.number})


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # PROTECT: stock bookkeeping at shipping/cancellation needs the product.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(max_length=300)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=Decimal("0")), name="orderline_unit_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class OrderDiscount(models.Model):
    """A kit discount an order got, as it was at placement (name, percent, amounts)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(max_length=100)
    name = models.CharField(max_length=150)
    discount_percent = models.DecimalField(max_digits=4, decimal_places=2)
    # The kit's quantities at the order's unit prices, and what came off them.
    full_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="orderdiscount_amount_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.name}: −{self.amount}"


class PaymentKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    REFUND = "refund", "Refund"


class Payment(models.Model):
    """A successful money movement with the gateway: the charge, and a refund if cancelled.

    Declined attempts are not stored: placement rolls back as a whole, and the shopper sees
    the gateway's reason at once.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    gateway = models.CharField(max_length=100)
    reference = models.CharField(max_length=100)
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    currency = models.CharField(max_length=3)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    # Why staff refunded (a return, a damaged product...); empty for charges.
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.reference})"


class SavedAddress(models.Model):
    """A signed-in shopper's shipping address, filled in at their next checkout: the one they
    last ordered to, or last saved on their profile."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_address"
    )
    full_name = models.CharField(max_length=200)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "saved addresses"

    def __str__(self) -> str:
        return f"{self.full_name}, {self.city}"
