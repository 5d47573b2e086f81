"""API shapes of carts and orders, and the checkout's input."""

from django.conf import settings
from rest_framework import serializers

from orders.countries import COUNTRIES
from orders.models import Order, OrderDiscount, OrderLine, Payment
from orders.payments import (
    Card,
    card_number_error,
    cvc_error,
    expiry_error,
    normalize_card_number,
)
from orders.services.checkout import Address


class CartLineSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    product_slug = serializers.CharField(source="product.slug")
    product_name = serializers.CharField(source="product.__str__")
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2, source="product.price")
    quantity = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=10, decimal_places=2)


class CartKitSerializer(serializers.Serializer):
    """A ``selectors.KitDiscount``: a kit added to the cart and whether its discount applies."""

    name = serializers.CharField()
    discount_percent = serializers.DecimalField(max_digits=4, decimal_places=2)
    full_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="The kit's quantities at full price."
    )
    applies = serializers.BooleanField(
        help_text="False: the cart no longer holds the whole kit; `reason` says what is missing."
    )
    discount = serializers.DecimalField(
        source="amount", max_digits=10, decimal_places=2, help_text="What comes off; 0 if not."
    )
    reason = serializers.CharField(help_text="Why the discount does not apply; empty if it does.")


class CartSerializer(serializers.Serializer):
    """A ``selectors.CartSummary``."""

    lines = CartLineSerializer(many=True)
    kits = CartKitSerializer(
        many=True, help_text="Kits added whole; each is discounted once, on its own quantities."
    )
    count = serializers.IntegerField(help_text="Units in the cart.")
    subtotal = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="Every line at full price."
    )
    discount = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="The kit discounts that apply."
    )
    shipping = serializers.DecimalField(max_digits=10, decimal_places=2)
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.SerializerMethodField()

    def get_currency(self, summary) -> str:
        return settings.SHOP_CURRENCY


class CartLineAddSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, default=1)


class CartLineQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["product_id", "product_name", "unit_price", "quantity", "line_total"]


class OrderDiscountSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderDiscount
        fields = ["name", "discount_percent", "full_price", "amount"]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["kind", "amount", "currency", "card_brand", "card_last4", "created_at"]


class OrderListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["number", "status", "currency", "total", "created_at"]


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    discounts = OrderDiscountSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "email",
            "full_name",
            "address_line1",
            "address_line2",
            "city",
            "postcode",
            "country",
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
            "lines",
            "discounts",
            "payments",
        ]
        read_only_fields = fields


class CheckoutSerializer(serializers.Serializer):
    """Shipping address and card for placing an order from the caller's cart."""

    email = serializers.EmailField(required=False, help_text="Defaults to the account's e-mail.")
    full_name = serializers.CharField(max_length=200)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=20)
    country = serializers.ChoiceField(
        choices=COUNTRIES, help_text="One of the countries the shop ships to."
    )
    card_number = serializers.CharField(max_length=23, write_only=True)
    card_exp_month = serializers.IntegerField(min_value=1, max_value=12, write_only=True)
    card_exp_year = serializers.IntegerField(min_value=2000, max_value=9999, write_only=True)
    card_cvc = serializers.CharField(max_length=4, write_only=True)

    def validate_card_number(self, value: str) -> str:
        number = normalize_card_number(value)
        problem = card_number_error(number)
        if problem:
            raise serializers.ValidationError(problem)
        return number

    def validate(self, attrs: dict) -> dict:
        problem = expiry_error(attrs["card_exp_month"], attrs["card_exp_year"])
        if problem:
            raise serializers.ValidationError({"card_exp_year": problem})
        problem = cvc_error(attrs["card_cvc"], attrs["card_number"])
        if problem:
            raise serializers.ValidationError({"card_cvc": problem})
        return attrs

    def card(self) -> Card:
        data = self.validated_data
        return Card(
            number=data["card_number"],
            exp_month=data["card_exp_month"],
            exp_year=data["card_exp_year"],
            cvc=data["card_cvc"],
        )

    def address(self) -> Address:
        return Address.from_checkout(self.validated_data)
