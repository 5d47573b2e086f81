"""Adding the whole kit says what it did to a product the cart already held."""

import pytest
from django.urls import reverse

from tests.recommendations.factories import RuleFactory, RuleItemFactory, cart_contents

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit_rule():
    rule = RuleFactory(min_grade=2, max_grade=3, kit_name="Mild acne kit")
    RuleItemFactory(rule=rule, position=1, product__name="Cleanser", product__role="cleanser")
    RuleItemFactory(rule=rule, position=2, product__name="Gel", product__stock=5)
    return rule


def test_a_product_already_in_the_cart_is_said_to_count_more_now(client, kit_rule):
    gel = kit_rule.items.get(product__name="Gel").product
    client.post(reverse("orders:cart_add", args=[gel.pk]), {"quantity": 1})

    response = client.post(
        reverse("recommendations:kit_add"), {"rule": kit_rule.pk, "grade": 2}, follow=True
    )

    shown = [str(m) for m in response.context["messages"]]
    assert (
        "Added the Mild acne kit to your cart: 1 × Acme Derm Cleanser, 1 × Acme Derm Gel "
        "(you already had 1: 2 in your cart now)." in shown
    )
    page = response.content.decode()
    assert "2 in your cart now" in page
    cart = response.context["summary"].lines[0].cart
    assert cart_contents(cart) == {"Gel": 2, "Cleanser": 1}
