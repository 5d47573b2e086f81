import uuid
from decimal import Decimal

import pytest

from catalog.models import Stock
from orders.models import Cart, Order, OrderStatus, PaymentKind
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services
from orders.services import emails
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import (
    ADDRESS,
    DECLINED,
    INSUFFICIENT_FUNDS,
    CartFactory,
    CartLineFactory,
    card,
    place_order,
)

pytestmark = pytest.mark.django_db


def stock_of(product) -> Stock:
    return Stock.objects.get(product=product)


def checkout(cart, *, user=None, number="4242424242424242", key=None) -> Order:
    return checkout_services.order_place(
        cart=cart,
        user=user,
        email="sam@example.com",
        address=ADDRESS,
        card=card(number),
        idempotency_key=key or uuid.uuid4(),
    )


def test_placing_an_order_snapshots_prices_allocates_stock_charges_and_empties_the_cart(
    django_capture_on_commit_callbacks, mailoutbox
):
    user = UserFactory()
    gel = ProductFactory(name="Gel", brand="Acme", price=Decimal("12.50"), stock=5)
    wash = ProductFactory(price=Decimal("8.99"), stock=5)
    cart = cart_services.cart_get_or_create(user=user)
    CartLineFactory(cart=cart, product=gel, quantity=2)
    CartLineFactory(cart=cart, product=wash, quantity=1)

    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(cart, user=user)

    assert order.status == OrderStatus.PAID and order.paid_at is not None
    assert order.user == user and order.number.startswith("SK-") and len(order.number) == 11
    assert (order.subtotal, order.shipping, order.total) == (
        Decimal("33.99"),
        Decimal("4.90"),
        Decimal("38.89"),
    )
    assert [
        (line.product_name, line.unit_price, line.quantity, line.line_total)
        for line in order.lines.all()
    ] == [
        ("Acme Gel", Decimal("12.50"), 2, Decimal("25.00")),
        (str(wash), Decimal("8.99"), 1, Decimal("8.99")),
    ]
    assert (stock_of(gel).quantity, stock_of(gel).allocated) == (5, 2)
    charge = order.payments.get()
    assert (charge.kind, charge.amount, charge.card_last4) == (
        PaymentKind.CHARGE,
        order.total,
        "4242",
    )
    assert not cart.lines.exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["sam@example.com"]


def test_later_price_changes_do_not_touch_the_order():
    product = ProductFactory(price=Decimal("10.00"))
    order = place_order(products=[(product, 1)])
    product.price = Decimal("99.00")
    product.save()
    assert order.lines.get().unit_price == Decimal("10.00")


def test_shipping_is_free_from_the_threshold(settings):
    settings.SHOP_FREE_SHIPPING_FROM = "50.00"
    order = place_order(products=[(ProductFactory(price=Decimal("25.00")), 2)])
    assert (order.shipping, order.total) == (Decimal("0.00"), Decimal("50.00"))


def test_same_idempotency_key_twice_gives_one_order():
    user = UserFactory()
    product = ProductFactory(stock=5)
    key = uuid.uuid4()
    first = place_order(user=user, products=[(product, 2)], key=key)
    # The cart is empty now; the second submit must find the first order, not fail or re-order.
    second = checkout(cart_services.cart_get_or_create(user=user), user=user, key=key)

    assert second == first
    assert Order.objects.count() == 1 and first.payments.count() == 1
    assert stock_of(product).allocated == 2


def test_a_key_used_by_someone_else_is_refused():
    key = uuid.uuid4()
    place_order(user=UserFactory(), key=key)
    other = UserFactory()
    cart = cart_services.cart_get_or_create(user=other)
    CartLineFactory(cart=cart)

    with pytest.raises(checkout_services.IdempotencyKeyReused):
        checkout(cart, user=other, key=key)
    assert Order.objects.count() == 1 and cart.lines.count() == 1


@pytest.mark.parametrize(
    "number, message",
    [(DECLINED, "Your card was declined."), (INSUFFICIENT_FUNDS, "insufficient funds")],
)
def test_declined_payment_leaves_no_order_stock_untouched_and_the_cart_kept(
    number, message, django_capture_on_commit_callbacks, mailoutbox
):
    product = ProductFactory(stock=3)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=product, quantity=2)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(checkout_services.PaymentDeclined, match=message):
            checkout(cart, number=number)

    assert not Order.objects.exists()
    assert (stock_of(product).quantity, stock_of(product).allocated) == (3, 0)
    assert cart.lines.get().quantity == 2
    assert mailoutbox == []


def test_insufficient_stock_names_the_product_and_places_nothing():
    scarce = ProductFactory(name="Patches", brand="Dot", stock=2)
    plenty = ProductFactory(stock=9)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=scarce, quantity=2)
    CartLineFactory(cart=cart, product=plenty, quantity=1)
    # Someone else bought one after this shopper filled the cart.
    Stock.objects.filter(product=scarce).update(allocated=1)

    with pytest.raises(checkout_services.InsufficientStock) as raised:
        checkout(cart)

    assert "Dot Patches (only 1 left, your cart has 2)" in raised.value.message
    assert not Order.objects.exists()
    assert stock_of(plenty).allocated == 0 and cart.lines.count() == 2


def test_a_product_withdrawn_since_counts_as_sold_out():
    product = ProductFactory(name="Old", brand="Acme")
    cart = CartFactory()
    CartLineFactory(cart=cart, product=product)
    product.is_active = False
    product.save()
    with pytest.raises(checkout_services.InsufficientStock, match=r"Acme Old \(sold out\)"):
        checkout(cart)


def test_empty_cart_cannot_be_checked_out():
    with pytest.raises(checkout_services.EmptyCart):
        checkout(CartFactory())
    assert not Order.objects.exists()


def test_guest_checkout_has_no_user_but_an_email():
    order = place_order(user=None)
    assert order.user is None and order.email == "guest@example.com"
    assert Cart.objects.filter(user__isnull=True).count() == 1


def test_order_numbers_are_unique_and_hard_to_guess():
    numbers = {checkout_services.new_order_number() for _ in range(500)}
    assert len(numbers) == 500
    assert all(
        n.startswith("SK-") and len(n) == 11 and not set(n[3:]) & set("01IO") for n in numbers
    )


def test_a_colliding_order_number_is_retried(monkeypatch):
    taken = place_order().number
    numbers = iter([taken, "SK-FRESH234"])
    monkeypatch.setattr(checkout_services, "new_order_number", lambda: next(numbers))

    order = place_order()

    assert order.number == "SK-FRESH234" and Order.objects.count() == 2


def test_the_confirmation_email_lists_the_order(django_capture_on_commit_callbacks, mailoutbox):
    product = ProductFactory(name="Gel", brand="Acme", price=Decimal("12.50"))
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(products=[(product, 2)])

    (mail,) = mailoutbox
    assert mail.subject == f"SkinShop: your order {order.number} is confirmed"
    assert "2 × Acme Gel — €25.00" in mail.body
    assert "Total:    €29.90" in mail.body and "1 Main Street" in mail.body


def test_a_mail_server_that_is_down_does_not_undo_the_order(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(emails, "send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order()

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert f"Could not send the confirmation e-mail of order {order.number}" in caplog.text


def test_a_guest_key_replayed_from_another_cart_is_refused_and_from_its_own_cart_replays():
    key = uuid.uuid4()
    first = place_order(key=key)  # a guest's cart
    stranger_cart = CartFactory()
    CartLineFactory(cart=stranger_cart)

    with pytest.raises(checkout_services.IdempotencyKeyReused):
        checkout(stranger_cart, user=None, key=key)
    replay = checkout(Cart.objects.get(pk=first.checkout_cart_id), user=None, key=key)

    assert replay == first and replay.is_replay
    assert Order.objects.count() == 1 and stranger_cart.lines.count() == 1
