import pytest

from orders.models import Cart, CartLine
from orders.services import cart as cart_services
from skinshop.errors import ApplicationError
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import CartFactory, CartLineFactory

pytestmark = pytest.mark.django_db


def quantities(cart: Cart) -> dict[str, int]:
    return {line.product.slug: line.quantity for line in cart.lines.all()}


def test_adding_the_same_product_twice_adds_up():
    cart = CartFactory()
    product = ProductFactory(slug="gel", stock=5)

    cart_services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    cart_services.cart_add(cart=cart, product_id=product.pk, quantity=1)

    assert quantities(cart) == {"gel": 3}


def test_cannot_add_more_than_is_available():
    cart = CartFactory()
    product = ProductFactory(name="BP Gel", brand="Acme", stock=5, stock__allocated=3)

    with pytest.raises(ApplicationError, match="Only 2 of Acme BP Gel left in stock"):
        cart_services.cart_add(cart=cart, product_id=product.pk, quantity=3)
    assert not cart.lines.exists()


def test_the_cart_line_counts_against_availability():
    cart = CartFactory()
    product = ProductFactory(stock=3)
    cart_services.cart_add(cart=cart, product_id=product.pk, quantity=2)

    with pytest.raises(ApplicationError, match="2 already in your cart"):
        cart_services.cart_add(cart=cart, product_id=product.pk, quantity=2)
    assert cart.lines.get().quantity == 2


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_at_least_one(quantity):
    cart = CartFactory()
    with pytest.raises(ApplicationError, match="at least 1"):
        cart_services.cart_add(cart=cart, product_id=ProductFactory().pk, quantity=quantity)


def test_sold_out_inactive_and_missing_products_cannot_be_added():
    cart = CartFactory()
    with pytest.raises(ApplicationError, match="sold out"):
        cart_services.cart_add(cart=cart, product_id=ProductFactory(stock=0).pk, quantity=1)
    with pytest.raises(ApplicationError, match="no longer sold"):
        cart_services.cart_add(cart=cart, product_id=ProductFactory(is_active=False).pk, quantity=1)
    with pytest.raises(ApplicationError, match="does not exist"):
        cart_services.cart_add(cart=cart, product_id=999_999, quantity=1)


def test_set_quantity_and_remove():
    line = CartLineFactory(quantity=1, product=ProductFactory(stock=4))
    cart, product_id = line.cart, line.product_id

    cart_services.cart_set_quantity(cart=cart, product_id=product_id, quantity=4)
    assert cart.lines.get().quantity == 4
    with pytest.raises(ApplicationError, match="Only 4"):
        cart_services.cart_set_quantity(cart=cart, product_id=product_id, quantity=5)
    with pytest.raises(ApplicationError, match="at least 1"):
        cart_services.cart_set_quantity(cart=cart, product_id=product_id, quantity=0)
    assert cart.lines.get().quantity == 4

    cart_services.cart_remove(cart=cart, product_id=product_id)
    assert not cart.lines.exists()
    with pytest.raises(ApplicationError, match="not in your cart"):
        cart_services.cart_remove(cart=cart, product_id=product_id)


def test_get_or_create_never_hands_out_a_users_cart_to_a_session():
    user = UserFactory()
    users_cart = cart_services.cart_get_or_create(user=user)

    assert cart_services.cart_get_or_create(user=user) == users_cart
    from_forged_session = cart_services.cart_get_or_create(user=None, cart_id=users_cart.pk)
    assert from_forged_session != users_cart and from_forged_session.user is None
    assert cart_services.cart_get_or_create(cart_id=from_forged_session.pk) == from_forged_session


def test_merge_adds_quantities_up_to_the_available_stock():
    user = UserFactory()
    target = cart_services.cart_get_or_create(user=user)
    source = CartFactory()
    serum = ProductFactory(slug="serum", name="Serum", brand="Acme", stock=5)
    wash = ProductFactory(slug="wash", stock=10)
    gone = ProductFactory(slug="gone", name="Gone", brand="Acme", stock=0)
    CartLineFactory(cart=target, product=serum, quantity=3)
    CartLineFactory(cart=source, product=serum, quantity=4)
    CartLineFactory(cart=source, product=wash, quantity=2)
    CartLine.objects.create(cart=source, product=gone, quantity=1)

    notes = cart_services.merge_carts(source=source, target=target)

    assert quantities(target) == {"serum": 5, "wash": 2}
    assert not Cart.objects.filter(pk=source.pk).exists()
    assert notes == [
        "Acme Serum: only 5 available, so your cart holds 5.",
        "Acme Gone is no longer available and was left out of your cart.",
    ]
