import pytest
from django.urls import reverse

from orders.models import Cart
from tests.accounts.factories import PASSWORD, UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import CartLineFactory

pytestmark = pytest.mark.django_db


def test_the_session_cart_merges_into_the_users_cart_at_log_in(client):
    user = UserFactory(username="sam")
    serum = ProductFactory(slug="serum", name="Serum", brand="Acme", stock=4)
    wash = ProductFactory(slug="wash", stock=9)
    CartLineFactory(cart=Cart.objects.create(user=user), product=serum, quantity=3)
    client.post(reverse("orders:cart_add", args=[serum.pk]), {"quantity": 2})
    client.post(reverse("orders:cart_add", args=[wash.pk]), {"quantity": 1})
    anonymous_cart_id = client.session["cart_id"]

    response = client.post(
        reverse("accounts:login"), {"username": "sam", "password": PASSWORD}, follow=True
    )

    assert response.context["user"] == user
    lines = {line.product.slug: line.quantity for line in user.cart.lines.all()}
    assert lines == {"serum": 4, "wash": 1}  # 3 + 2 capped at the 4 available
    assert not Cart.objects.filter(pk=anonymous_cart_id).exists()
    assert "cart_id" not in client.session
    assert "Acme Serum: only 4 available, so your cart holds 4." in [
        str(m) for m in response.context["messages"]
    ]
    assert response.context["cart_count"] == 5


def test_signing_up_keeps_the_anonymous_cart(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    import re

    product = ProductFactory(stock=3)
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": 2})

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:signup"),
            {
                "username": "newbie",
                "email": "new@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    # The e-mailed link confirms the account and logs in, in the same browser.
    client.post(re.search(r"http://testserver(/\S+)", mailoutbox[0].body).group(1))

    assert Cart.objects.get(user__username="newbie").lines.get().quantity == 2
