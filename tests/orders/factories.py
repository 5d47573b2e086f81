"""Orders factories. Orders themselves are placed through ``checkout_services.order_place`` (see
``place_order``), so their stock allocation and payment are real."""

import uuid
from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from orders.models import Cart, CartLine, Order
from orders.payments import Card, TestGateway
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services
from tests.catalog.factories import ProductFactory

APPROVED = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"


class CartFactory(DjangoModelFactory):
    class Meta:
        model = Cart


class CartLineFactory(DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class RecordingGateway(TestGateway):
    """The test gateway, remembering every amount it charged and refunded. Use it with
    ``recording_gateway(settings)``."""

    charged: list[Decimal] = []
    refunded: list[Decimal] = []

    def charge(self, *, amount, **kwargs):
        type(self).charged.append(amount)
        return super().charge(amount=amount, **kwargs)

    def refund(self, *, amount, **kwargs):
        type(self).refunded.append(amount)
        return super().refund(amount=amount, **kwargs)


def recording_gateway(settings) -> type[RecordingGateway]:
    """Make ``RecordingGateway`` the shop's gateway (pytest-django's ``settings``), emptied."""
    settings.PAYMENT_GATEWAY = f"{__name__}.RecordingGateway"
    RecordingGateway.charged, RecordingGateway.refunded = [], []
    return RecordingGateway


def card(number: str = APPROVED, *, cvc: str = "123") -> Card:
    return Card(number=number, exp_month=12, exp_year=date.today().year + 3, cvc=cvc)


ADDRESS = checkout_services.Address(
    full_name="Sam Shopper", line1="1 Main Street", city="Lyon", postcode="69001", country="France"
)


def place_order(
    *,
    user=None,
    products: list[tuple] | None = None,
    card_number: str = APPROVED,
    key: uuid.UUID | None = None,
) -> Order:
    """Fill a cart with ``products`` ((product, quantity) pairs) and check it out."""
    cart = cart_services.cart_get_or_create(user=user)
    for product, quantity in products or [(ProductFactory(price=Decimal("9.90")), 1)]:
        cart_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
    return checkout_services.order_place(
        cart=cart,
        user=user,
        email=user.email if user else "guest@example.com",
        address=ADDRESS,
        card=card(card_number),
        idempotency_key=key or uuid.uuid4(),
    )


def checkout_body(card_number="4242424242424242") -> dict:
    return {
        "full_name": "Sam Shopper",
        "address_line1": "1 Main Street",
        "city": "Lyon",
        "postcode": "69001",
        "country": "France",
        "card_number": card_number,
        "card_exp_month": 12,
        "card_exp_year": date.today().year + 3,
        "card_cvc": "123",
    }


def checkout_data(key=None, card_number=APPROVED, **overrides) -> dict:
    data = {
        "idempotency_key": str(key or uuid.uuid4()),
        "email": "guest@example.com",
        "full_name": "Sam Shopper",
        "address_line1": "1 Main Street",
        "address_line2": "",
        "city": "Lyon",
        "postcode": "69001",
        "country": "France",
        "card_number": card_number,
        "card_expiry": f"12/{(date.today().year + 3) % 100:02d}",
        "card_cvc": "123",
    }
    return data | overrides
