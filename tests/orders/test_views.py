import uuid
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from catalog.models import Stock
from orders.context_processors import cart as cart_badge
from orders.models import Cart, Order, OrderStatus
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import DECLINED, checkout_data, place_order

pytestmark = pytest.mark.django_db

CART_URL = reverse("orders:cart_detail")
CHECKOUT_URL = reverse("orders:checkout")


def add(client, product, quantity=1, **extra):
    return client.post(
        reverse("orders:cart_add", args=[product.pk]), {"quantity": quantity}, **extra
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_anonymous_shopper_adds_to_a_session_cart_and_sees_the_badge(client):
    product = ProductFactory(name="Gel", brand="Acme", price=Decimal("7.50"), stock=5)

    response = add(client, product, 2, follow=True)

    assert response.redirect_chain[-1][0] == CART_URL
    assert "Added 2 × Acme Gel to your cart." in messages_of(response)
    assert response.context["cart_count"] == 2
    assert response.context["summary"].subtotal == Decimal("15.00")
    assert '<span class="cart-badge" data-testid="cart-count">2</span>' in response.content.decode()
    assert isinstance(client.session["cart_id"], int)


def test_adding_too_many_gives_a_clear_message_and_changes_nothing(client):
    product = ProductFactory(name="Gel", brand="Acme", stock=2)

    response = add(client, product, 3, follow=True)
    assert "Only 2 of Acme Gel left in stock; you asked for 3." in messages_of(response)
    response = add(client, product, "lots", follow=True)
    assert "Enter a whole number." in messages_of(response)
    assert response.context["cart_count"] == 0


def test_cart_add_is_post_only(client):
    assert client.get(reverse("orders:cart_add", args=[ProductFactory().pk])).status_code == 405


def test_update_and_remove_lines(client):
    product = ProductFactory(name="Gel", brand="Acme", stock=5)
    add(client, product)

    url = reverse("orders:cart_update", args=[product.pk])
    response = client.post(url, {"quantity": 4}, follow=True)
    assert "Acme Gel: quantity set to 4." in messages_of(response)
    response = client.post(url, {"quantity": 0}, follow=True)
    assert "The quantity must be at least 1." in messages_of(response)
    assert response.context["cart_count"] == 4

    response = client.post(reverse("orders:cart_remove", args=[product.pk]), follow=True)
    assert response.context["summary"].is_empty
    assert "Your cart is empty." in response.content.decode()


def test_checkout_page_carries_a_fresh_idempotency_key_and_prefills_the_user(client):
    user = UserFactory(email="sam@example.com")
    client.force_login(user)
    add(client, ProductFactory())

    first = client.get(CHECKOUT_URL)
    second = client.get(CHECKOUT_URL)

    key = first.context["form"].initial["idempotency_key"]
    assert key != second.context["form"].initial["idempotency_key"]
    assert f'name="idempotency_key" value="{key}"' in first.content.decode()
    assert first.context["form"].initial["email"] == "sam@example.com"


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    assert client.get(CHECKOUT_URL).url == CART_URL


def test_approved_checkout_shows_the_order_and_a_double_submit_gives_the_same_one(client):
    product = ProductFactory(stock=5)
    add(client, product, 2)
    data = checkout_data()

    first = client.post(CHECKOUT_URL, data)
    second = client.post(CHECKOUT_URL, data)

    order = Order.objects.get()
    assert first.url == second.url == order.get_absolute_url()
    assert order.status == OrderStatus.PAID and order.user is None
    assert Stock.objects.get(product=product).allocated == 2
    page = client.get(order.get_absolute_url())
    assert page.status_code == 200 and order.number in page.content.decode()
    assert client.get(CART_URL).context["cart_count"] == 0


def test_declined_card_keeps_the_cart_and_says_why(client):
    product = ProductFactory(stock=5)
    add(client, product, 2)

    response = client.post(CHECKOUT_URL, checkout_data(card_number=DECLINED))

    assert response.status_code == 200
    assert "Your card was declined." in response.content.decode()
    assert not Order.objects.exists()
    assert Stock.objects.get(product=product).allocated == 0
    assert response.context["cart_count"] == 2


def test_insufficient_stock_at_checkout_names_the_product(client):
    product = ProductFactory(name="Patches", brand="Dot", stock=2)
    add(client, product, 2)
    Stock.objects.filter(product=product).update(quantity=1)

    response = client.post(CHECKOUT_URL, checkout_data())

    assert "Not enough stock for Dot Patches (only 1 left, your cart has 2)." in (
        response.content.decode()
    )
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("card_number", "4242 4242 4242 4241", "This card number is not valid"),
        ("card_expiry", "01/20", "This card has expired."),
        ("card_expiry", "1230", "Enter the expiry date as MM/YY."),
        ("card_cvc", "12", "The security code (CVC) is 3 digits."),
        ("email", "not-an-email", "Enter a valid email address."),
        # Digits str.isdigit() accepts and int() refuses: a form error, not a 500.
        ("card_number", "4242 4242 4242 424²", "Enter the card number"),
        ("card_expiry", "1²/3⁴", "Enter the expiry date as MM/YY."),
        ("card_cvc", "¹²³", "The security code (CVC) is 3 digits."),
    ],
)
def test_checkout_form_errors_are_shown_by_their_field(client, field, value, error):
    add(client, ProductFactory())
    response = client.post(CHECKOUT_URL, checkout_data(**{field: value}))
    assert error in response.context["form"].errors[field][0]
    assert not Order.objects.exists()


def test_another_users_order_is_a_404(client):
    order = place_order(user=UserFactory())
    client.force_login(UserFactory())
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.get(reverse("orders:order_detail", args=["SK-NOPE2345"])).status_code == 404


def test_a_guest_order_is_visible_only_in_the_session_that_placed_it(client):
    add(client, ProductFactory())
    url = client.post(CHECKOUT_URL, checkout_data()).url
    assert client.get(url).status_code == 200

    client.logout()  # a new, empty session
    assert client.get(url).status_code == 404


def test_order_list_shows_own_orders_and_needs_login(client):
    user = UserFactory()
    mine = place_order(user=user)
    theirs = place_order(user=UserFactory())
    url = reverse("orders:order_list")

    assert client.get(url).status_code == 302
    client.force_login(user)
    content = client.get(url).content.decode()
    assert mine.number in content and theirs.number not in content


def test_the_cart_badge_costs_one_query_and_creates_no_cart(client, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = UserFactory()
    with django_assert_num_queries(1):
        assert cart_badge(request) == {"cart_count": 0}
    assert not Cart.objects.exists()


def test_an_absurd_product_id_is_a_message_not_a_server_error(client):
    response = client.post(reverse("orders:cart_add", args=[2**64]), {"quantity": 1}, follow=True)
    assert "This product does not exist or is no longer sold." in messages_of(response)


def test_a_guest_cannot_take_another_guests_order_by_replaying_its_idempotency_key(client):
    from django.test import Client

    from orders.session import GUEST_ORDERS_SESSION_KEY

    key = uuid.uuid4()
    add(client, ProductFactory(stock=5))
    client.post(CHECKOUT_URL, checkout_data(key))
    order = Order.objects.get()
    stranger = Client()
    add(stranger, ProductFactory(stock=5))

    response = stranger.post(CHECKOUT_URL, checkout_data(key, email="thief@example.com"))

    assert response.status_code == 409
    assert order.number not in response.content.decode()
    assert GUEST_ORDERS_SESSION_KEY not in stranger.session
    assert stranger.get(order.get_absolute_url()).status_code == 404
    assert Order.objects.count() == 1


def test_the_guest_who_placed_an_order_gets_it_back_when_resubmitting_the_same_key(client):
    key = uuid.uuid4()
    add(client, ProductFactory(stock=5))
    first = client.post(CHECKOUT_URL, checkout_data(key))

    again = client.post(CHECKOUT_URL, checkout_data(key))

    assert again.status_code == 302 and again.url == first.url
    assert Order.objects.count() == 1
    assert client.get(again.url).status_code == 200


def test_card_details_never_reach_an_error_report_in_clear(client):
    from unittest import mock

    from django.views.debug import SafeExceptionReporterFilter

    from orders.services import checkout as checkout_services

    add(client, ProductFactory())
    client.raise_request_exception = False
    with mock.patch.object(checkout_services, "order_place", side_effect=RuntimeError("boom")):
        response = client.post(CHECKOUT_URL, checkout_data())

    assert response.status_code == 500
    reported = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    for field in ("card_number", "card_expiry", "card_cvc"):
        assert set(reported[field]) == {"*"}, field
    assert reported["full_name"] == "Sam Shopper"  # the rest stays readable


def _input(html: str, name: str) -> str:
    import re

    (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return tag


@pytest.mark.parametrize(
    "overrides",
    [
        {"card_number": DECLINED},  # declined by the gateway
        {"card_number": DECLINED, "email": "not-an-email"},  # a form error elsewhere
        {"card_number": "4242 4242 4242 4241", "card_cvc": "987"},  # a mistyped number
    ],
)
def test_a_refused_checkout_never_echoes_the_card_number_or_security_code(
    client, caplog, overrides
):
    add(client, ProductFactory(stock=5))
    data = checkout_data(card_cvc="987") | overrides

    with caplog.at_level("DEBUG"):
        response = client.post(CHECKOUT_URL, data)

    assert response.status_code == 200 and not Order.objects.exists()
    html = response.content.decode()
    for name in ("card_number", "card_cvc"):
        assert "value=" not in _input(html, name), name
    assert 'value="987"' not in html
    assert "value=" in _input(html, "full_name")  # the rest is kept for the shopper
    digits = data["card_number"].replace(" ", "")
    assert not any(digits in record.getMessage() for record in caplog.records)
