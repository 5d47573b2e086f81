"""Kit discounts in the cart, at checkout and on the order: one place reckons them
(``selectors.cart_totals``), and the order keeps what it got."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders import selectors
from orders.models import CartKit, Order, OrderDiscount, PaymentKind
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services
from orders.services import lifecycle
from orders.session import CART_SESSION_KEY
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import (
    ADDRESS,
    CartFactory,
    card,
    checkout_body,
    checkout_data,
    recording_gateway,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    return recording_gateway(settings)


@pytest.fixture
def products():
    """A cleanser (12.90), a gel (8.95, two to a kit) and a moisturiser (14.50)."""
    return {
        "cleanser": ProductFactory(name="Cleanser", price=Decimal("12.90")),
        "gel": ProductFactory(name="Gel", price=Decimal("8.95")),
        "moisturiser": ProductFactory(name="Moisturiser", price=Decimal("14.50")),
    }


def add_kit(cart, products, *, percent="10", source="rule:1", name="Mild acne kit"):
    """What "add the whole kit" does: the products into the cart, and the kit recorded."""
    items = [(products["cleanser"], 1), (products["gel"], 2), (products["moisturiser"], 1)]
    for product, quantity in items:
        cart_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
    kit, _ = cart_services.cart_kit_record(
        cart=cart,
        source=source,
        name=name,
        discount_percent=Decimal(percent),
        items=[(product.pk, quantity) for product, quantity in items],
    )
    return kit


# The kit: 12.90 + 2 × 8.95 + 14.50 = 45.30; 10 % of it is 4.53.
KIT_PRICE = Decimal("45.30")


# --- the sums -----------------------------------------------------------------------------------


def test_a_whole_kit_gets_its_discount_once_in_the_cart_sums(products):
    cart = CartFactory()
    add_kit(cart, products)

    summary = selectors.cart_summary(cart=cart)

    assert summary.subtotal == KIT_PRICE
    assert summary.discount == Decimal("4.53")
    # Free shipping is judged on the full price (45.30 < 50): the flat fee applies.
    assert summary.shipping == Decimal("4.90")
    assert summary.total == Decimal("45.30") - Decimal("4.53") + Decimal("4.90")
    [kit] = summary.discounted_kits
    assert (kit.name, kit.full_price, kit.amount) == ("Mild acne kit", KIT_PRICE, Decimal("4.53"))
    assert summary.broken_kits == []


def test_the_discount_is_rounded_to_cents_half_up_once():
    # 3 × 9.95 = 29.85; 15 % of it is 4.4775, charged as 4.48.
    assert selectors.kit_discount(full_price=Decimal("29.85"), percent=Decimal("15")) == Decimal(
        "4.48"
    )
    assert selectors.kit_discount(full_price=Decimal("0.05"), percent=Decimal("10")) == Decimal(
        "0.01"
    )


def test_the_same_products_added_one_by_one_get_no_discount(products):
    cart = CartFactory()
    for product, quantity in [
        (products["cleanser"], 1),
        (products["gel"], 2),
        (products["moisturiser"], 1),
    ]:
        cart_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)

    summary = selectors.cart_summary(cart=cart)

    assert summary.subtotal == KIT_PRICE
    assert summary.discount == Decimal("0.00")
    assert summary.total == KIT_PRICE + Decimal("4.90")


def test_removing_a_product_of_the_kit_drops_the_discount_and_says_why(products):
    cart = CartFactory()
    add_kit(cart, products)

    cart_services.cart_remove(cart=cart, product_id=products["moisturiser"].pk)

    summary = selectors.cart_summary(cart=cart)
    assert summary.discount == Decimal("0.00")
    assert summary.total == Decimal("12.90") + 2 * Decimal("8.95") + Decimal("4.90")
    [kit] = summary.broken_kits
    assert kit.reason == (
        "The 10 % discount of the Mild acne kit does not apply: the kit needs "
        "1 × Acme Derm Moisturiser and your cart has none."
    )


def test_fewer_units_than_the_kit_drop_the_discount_and_putting_them_back_restores_it(products):
    cart = CartFactory()
    add_kit(cart, products)

    cart_services.cart_set_quantity(cart=cart, product_id=products["gel"].pk, quantity=1)
    summary = selectors.cart_summary(cart=cart)
    assert summary.discount == Decimal("0.00")
    assert "the kit needs 2 × Acme Derm Gel and your cart has 1" in summary.broken_kits[0].reason

    cart_services.cart_set_quantity(cart=cart, product_id=products["gel"].pk, quantity=2)
    assert selectors.cart_summary(cart=cart).discount == Decimal("4.53")


def test_a_kit_none_of_whose_products_is_left_is_forgotten(products):
    cart = CartFactory()
    add_kit(cart, products)

    for product in products.values():
        cart_services.cart_remove(cart=cart, product_id=product.pk)

    assert not CartKit.objects.exists()


def test_adding_the_same_kit_twice_discounts_one_kit_and_charges_the_rest_in_full(products):
    cart = CartFactory()
    add_kit(cart, products)
    add_kit(cart, products)

    summary = selectors.cart_summary(cart=cart)

    assert CartKit.objects.filter(cart=cart).count() == 1
    assert summary.subtotal == 2 * KIT_PRICE
    assert summary.discount == Decimal("4.53"), "one kit's discount, not two"
    assert summary.shipping == Decimal("0.00")  # 90.60 at full price ships free
    assert summary.total == 2 * KIT_PRICE - Decimal("4.53")


def test_two_kits_sharing_a_product_are_both_whole_only_with_enough_units(products):
    cart = CartFactory()
    add_kit(cart, products, source="rule:1", name="Kit one")
    cart_services.cart_kit_record(
        cart=cart,
        source="rule:2",
        name="Kit two",
        discount_percent=Decimal("20"),
        items=[(products["cleanser"].pk, 1)],
    )

    summary = selectors.cart_summary(cart=cart)
    # The one cleanser counts for the first kit added; the second kit lacks its own.
    assert [k.name for k in summary.discounted_kits] == ["Kit one"]
    assert summary.discount == Decimal("4.53")
    assert summary.broken_kits[0].reason.endswith(
        "the kit needs 1 × Acme Derm Cleanser and your cart has none."
    )

    cart_services.cart_add(cart=cart, product_id=products["cleanser"].pk, quantity=1)
    summary = selectors.cart_summary(cart=cart)
    assert [k.name for k in summary.discounted_kits] == ["Kit one", "Kit two"]
    assert summary.discount == Decimal("4.53") + Decimal("2.58")  # 20 % of 12.90


def test_a_kit_recorded_twice_keeps_the_latest_offer(products):
    cart = CartFactory()
    add_kit(cart, products, percent="10")
    kit, again = cart_services.cart_kit_record(
        cart=cart,
        source="rule:1",
        name="Mild acne kit",
        discount_percent=Decimal("5"),
        items=[(products["cleanser"].pk, 1)],
    )

    assert again is True
    assert kit.discount_percent == Decimal("5")
    assert [(i.product_id, i.quantity) for i in kit.items.all()] == [(products["cleanser"].pk, 1)]


def test_logging_in_brings_the_session_cart_kit_along(products):
    user = UserFactory()
    source = CartFactory()
    add_kit(source, products)
    target = cart_services.cart_get_or_create(user=user)

    cart_services.merge_carts(source=source, target=target)

    summary = selectors.cart_summary(cart=target)
    assert summary.discount == Decimal("4.53")
    assert CartKit.objects.get().cart == target


# --- checkout and the order ---------------------------------------------------------------------


def place(cart, **kwargs) -> Order:
    return checkout_services.order_place(
        cart=cart,
        user=None,
        email="sam@example.com",
        address=ADDRESS,
        card=card(),
        idempotency_key=uuid.uuid4(),
        **kwargs,
    )


def test_checkout_charges_the_discounted_total_and_the_order_keeps_the_discount(products, gateway):
    cart = CartFactory()
    add_kit(cart, products)
    promised = selectors.cart_summary(cart=cart).total

    order = place(cart)

    assert gateway.charged == [promised] == [Decimal("45.67")]  # 45.30 − 4.53 + 4.90
    assert (order.subtotal, order.discount, order.shipping, order.total) == (
        Decimal("45.30"),
        Decimal("4.53"),
        Decimal("4.90"),
        Decimal("45.67"),
    )
    [discount] = OrderDiscount.objects.filter(order=order)
    assert (discount.name, discount.discount_percent, discount.full_price, discount.amount) == (
        "Mild acne kit",
        Decimal("10.00"),
        KIT_PRICE,
        Decimal("4.53"),
    )
    assert order.payments.get().amount == Decimal("45.67")
    assert not CartKit.objects.exists(), "the emptied cart forgets its kits"


def test_a_broken_kit_is_charged_in_full_at_checkout(products, gateway):
    cart = CartFactory()
    add_kit(cart, products)
    cart_services.cart_remove(cart=cart, product_id=products["gel"].pk)

    order = place(cart)

    assert order.discount == Decimal("0.00") and not order.discounts.exists()
    assert gateway.charged == [Decimal("12.90") + Decimal("14.50") + Decimal("4.90")]


def test_cancelling_a_discounted_order_refunds_what_was_paid(products, gateway):
    cart = CartFactory()
    add_kit(cart, products)
    order = place(cart)

    lifecycle.order_cancel(order=order)

    assert gateway.refunded == [Decimal("45.67")]
    assert order.payments.get(kind=PaymentKind.REFUND).amount == Decimal("45.67")


def test_the_confirmation_email_shows_the_kit_discount(
    products, gateway, django_capture_on_commit_callbacks
):
    cart = CartFactory()
    add_kit(cart, products)

    with django_capture_on_commit_callbacks(execute=True):
        place(cart)

    body = mail.outbox[0].body
    assert "  Subtotal: €45.30\n  Mild acne kit (−10 %): −€4.53\n  Shipping: €4.90\n" in body
    assert "Total:    €45.67" in body


# --- pages and API ------------------------------------------------------------------------------


def session_cart(client):
    """An anonymous cart the client's session points at, as after a first "add"."""
    cart = CartFactory()
    session = client.session
    session[CART_SESSION_KEY] = cart.pk
    session.save()
    return cart


def test_the_cart_checkout_and_order_pages_show_the_discount(client, products, gateway):
    cart = session_cart(client)
    add_kit(cart, products)

    page = client.get(reverse("orders:cart_detail")).content.decode()
    assert "Mild acne kit (−10 %)" in page and "−€4.53" in page and "€45.67" in page

    page = client.get(reverse("orders:checkout")).content.decode()
    assert "−€4.53" in page and "Pay €45.67" in page

    response = client.post(reverse("orders:checkout"), checkout_data(), follow=True)
    page = response.content.decode()
    assert "Mild acne kit (−10 %)" in page and "−€4.53" in page and "€45.67" in page
    assert gateway.charged == [Decimal("45.67")]


def test_the_cart_page_says_why_the_discount_went(client, products):
    cart = session_cart(client)
    add_kit(cart, products)

    response = client.post(
        reverse("orders:cart_remove", args=[products["moisturiser"].pk]), follow=True
    )

    page = response.content.decode()
    assert (
        "The 10 % discount of the Mild acne kit does not apply: the kit needs "
        "1 × Acme Derm Moisturiser and your cart has none." in page
    )
    assert "−€4.53" not in page
    assert "€35.70" in page  # 12.90 + 2 × 8.95 + 4.90 shipping, nothing off


def test_the_cart_and_order_api_show_the_discount(products):
    user = UserFactory(email="sam@example.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    add_kit(cart_services.cart_get_or_create(user=user), products)

    body = api.get("/api/v1/cart/").json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("45.30", "4.53", "45.67")
    assert body["kits"] == [
        {
            "name": "Mild acne kit",
            "discount_percent": "10.00",
            "full_price": "45.30",
            "applies": True,
            "discount": "4.53",
            "reason": "",
        }
    ]

    response = api.post(
        "/api/v1/orders/", checkout_body(), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )

    assert response.status_code == 201
    order = response.json()
    assert (order["subtotal"], order["discount"], order["total"]) == ("45.30", "4.53", "45.67")
    assert order["discounts"] == [
        {
            "name": "Mild acne kit",
            "discount_percent": "10.00",
            "full_price": "45.30",
            "amount": "4.53",
        }
    ]
    assert order["payments"][0]["amount"] == "45.67"


def test_admin_shows_the_order_discount_and_the_cart_kit(client, products, gateway):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    cart = CartFactory()
    add_kit(cart, products)

    page = client.get(reverse("admin:orders_cart_change", args=[cart.pk])).content.decode()
    assert "Mild acne kit" in page and "2 × Acme Derm Gel" in page

    order = place(cart)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Kit discounts" in page and "4.53" in page and "45.67" in page
