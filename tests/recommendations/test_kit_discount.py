"""The kit discount: staff set it on a rule, the recommendation shows it, "add the whole kit"
records it on the cart, and checkout charges it — while the cart holds the whole kit."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.models import CartKit, Order
from orders.services.cart import cart_get_or_create
from recommendations.models import RecommendationRule
from recommendations.services.kits import kit_add_to_cart, kit_source
from recommendations.services.routine import recommend
from tests.accounts.factories import UserFactory
from tests.orders.factories import CartFactory, checkout_body, recording_gateway
from tests.recommendations.factories import (
    ADD_URL,
    RuleFactory,
    RuleItemFactory,
    cart_contents,
    checkout_form,
    form_errors,
    rule_form,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    return recording_gateway(settings)


@pytest.fixture
def discounted_rule():
    """Grade 2: a cleanser (12.90) and two gels (8.95 each), 12.5 % off as a kit.

    Full price 30.80; 12.5 % of it is 3.85; the kit costs 26.95, plus 4.90 shipping.
    """
    rule = RuleFactory(
        min_grade=2, max_grade=2, kit_name="Mild acne kit", kit_discount_percent=Decimal("12.5")
    )
    RuleItemFactory(
        rule=rule, position=1, product__name="Cleanser", product__price=Decimal("12.90")
    )
    RuleItemFactory(
        rule=rule, position=2, product__name="Gel", product__price=Decimal("8.95"), quantity=2
    )
    return rule


def product_id(rule: RecommendationRule, name: str) -> int:
    return rule.items.get(product__name=name).product_id


# --- the recommendation ---------------------------------------------------------------------


def test_the_recommendation_gives_the_full_price_the_discount_and_the_discounted_total(
    discounted_rule,
):
    recommendation = recommend(grade=2)

    assert recommendation.kit_total == Decimal("30.80")
    assert recommendation.kit_discount_percent == Decimal("12.5")
    assert recommendation.kit_discount == Decimal("3.85")
    assert recommendation.kit_discounted_total == Decimal("26.95")


def test_the_default_routine_has_no_discount():
    recommendation = recommend(grade=2)

    assert recommendation.is_default
    assert (recommendation.kit_discount_percent, recommendation.kit_discount) == (
        Decimal("0"),
        Decimal("0.00"),
    )


def test_the_routine_page_shows_the_kit_price_with_and_without_the_discount(
    client, discounted_rule
):
    page = client.get(reverse("recommendations:routine_detail", args=[2])).content.decode()

    assert "€26.95" in page and "<s>€30.80</s>" in page
    assert "12.50 % off as a kit, you save €3.85" in page


def test_a_kit_without_discount_shows_one_price(client):
    rule = RuleFactory(min_grade=2, max_grade=2)
    RuleItemFactory(rule=rule, product__price=Decimal("9.90"))

    page = client.get(reverse("recommendations:routine_detail", args=[2])).content.decode()

    assert "€9.90" in page and "off as a kit" not in page


# --- into the cart --------------------------------------------------------------------------


def test_adding_the_kit_records_it_on_the_cart(discounted_rule):
    cart = CartFactory()

    kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    kit = CartKit.objects.get(cart=cart)
    assert (kit.source, kit.name, kit.discount_percent) == (
        kit_source(discounted_rule),
        "Mild acne kit",
        Decimal("12.50"),
    )
    assert sorted((i.product.name, i.quantity) for i in kit.items.all()) == [
        ("Cleanser", 1),
        ("Gel", 2),
    ]


def test_a_kit_without_discount_records_nothing():
    rule = RuleFactory(min_grade=2, max_grade=2)
    RuleItemFactory(rule=rule)
    cart = CartFactory()

    kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    assert cart_contents(cart) and not CartKit.objects.exists()


def test_adding_the_kit_twice_keeps_one_discount_and_says_so(discounted_rule):
    cart = CartFactory()
    kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    result = kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    assert cart_contents(cart) == {"Cleanser": 2, "Gel": 4}
    assert CartKit.objects.filter(cart=cart).count() == 1
    assert result.notes == [
        "The Mild acne kit was already in your cart: its discount applies once, so the "
        "extra products are at full price."
    ]


# --- end to end -----------------------------------------------------------------------------


def test_a_discounted_kit_from_the_routine_page_is_charged_at_its_discounted_total(
    client, discounted_rule, gateway
):
    promised = recommend(grade=2).kit_discounted_total

    response = client.post(
        reverse("recommendations:kit_add"), {"rule": discounted_rule.pk, "grade": 2}, follow=True
    )
    page = response.content.decode()
    assert "Mild acne kit (−12.50 %)" in page and "−€3.85" in page

    response = client.post(reverse("orders:checkout"), checkout_form())

    order = Order.objects.get()
    assert response.status_code == 302
    assert gateway.charged == [promised + Decimal("4.90")] == [Decimal("31.85")]
    assert (order.subtotal, order.discount, order.total) == (
        Decimal("30.80"),
        Decimal("3.85"),
        Decimal("31.85"),
    )
    assert order.discounts.get().name == "Mild acne kit"


def test_removing_a_kit_product_drops_the_discount_and_the_cart_page_says_why(
    client, discounted_rule, gateway
):
    client.post(reverse("recommendations:kit_add"), {"rule": discounted_rule.pk, "grade": 2})

    response = client.post(
        reverse("orders:cart_remove", args=[product_id(discounted_rule, "Gel")]), follow=True
    )

    page = response.content.decode()
    assert (
        "The 12.50 % discount of the Mild acne kit does not apply: the kit needs "
        "2 × Acme Derm Gel and your cart has none." in page
    )
    client.post(reverse("orders:checkout"), checkout_form())
    assert gateway.charged == [Decimal("12.90") + Decimal("4.90")]
    assert Order.objects.get().discount == Decimal("0.00")


def test_the_kit_products_added_one_by_one_get_no_discount(client, discounted_rule, gateway):
    for name, quantity in [("Cleanser", 1), ("Gel", 2)]:
        client.post(
            reverse("orders:cart_add", args=[product_id(discounted_rule, name)]),
            {"quantity": quantity},
        )

    client.post(reverse("orders:checkout"), checkout_form())

    assert gateway.charged == [Decimal("30.80") + Decimal("4.90")]
    assert Order.objects.get().discount == Decimal("0.00")


def test_through_the_api_the_recommendation_the_cart_and_the_order_agree(discounted_rule, gateway):
    user = UserFactory(email="sam@example.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    kit = api.get(reverse("api:recommendations"), {"grade": 2}).json()["kit"]
    assert (kit["total"], kit["discount_percent"], kit["discount"], kit["discounted_total"]) == (
        "30.80",
        "12.50",
        "3.85",
        "26.95",
    )

    response = api.post(reverse("api:cart_kits"), {"rule": kit["rule"]}, format="json")
    assert response.status_code == 201
    cart = response.json()["cart"]
    assert (cart["subtotal"], cart["discount"], cart["total"]) == ("30.80", "3.85", "31.85")
    assert cart["kits"][0]["applies"] is True
    assert response.json()["notes"] == []

    response = api.post(
        reverse("api:order-list"),
        checkout_body(),
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 201
    assert response.json()["total"] == "31.85"
    assert gateway.charged == [Decimal("31.85")]
    assert cart_get_or_create(user=user).kits.count() == 0


# --- staff ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("value", ["60", "-5", "50.01"])
def test_a_kit_discount_outside_0_to_50_is_refused_with_a_clear_message(admin_client, value):
    response = admin_client.post(ADD_URL, rule_form(kit_discount_percent=value))

    assert form_errors(response)["kit_discount_percent"] == [
        "A kit discount is a percentage from 0 to 50 (0 or empty: no discount)."
    ]
    assert not RecommendationRule.objects.exists()


@pytest.mark.parametrize(("value", "stored"), [("", "0"), ("0", "0"), ("10", "10"), ("50", "50")])
def test_staff_set_a_kit_discount_or_leave_it_empty(admin_client, value, stored):
    response = admin_client.post(ADD_URL, rule_form(kit_discount_percent=value))

    assert response.status_code == 302
    assert RecommendationRule.objects.get().kit_discount_percent == Decimal(stored)


def test_the_rule_list_shows_the_kit_discount(admin_client, discounted_rule):
    page = admin_client.get(
        reverse("admin:recommendations_recommendationrule_changelist")
    ).content.decode()

    assert "12.50 %" in page


def test_the_demo_rules_give_some_kits_a_modest_discount_and_seeding_again_changes_nothing():
    from catalog.services import demo_catalog_seed
    from recommendations.demo import seed_demo_rules

    demo_catalog_seed()
    seed_demo_rules()

    discounts = dict(RecommendationRule.objects.values_list("kit_name", "kit_discount_percent"))
    assert discounts == {
        "Clear skin kit": Decimal("0"),
        "Mild acne kit": Decimal("10"),
        "Moderate acne kit": Decimal("10"),
        "Calm skin kit": Decimal("0"),
    }
    mild = recommend(grade=2)
    assert mild.kit_discount == (mild.kit_total / 10).quantize(Decimal("0.01"))
    assert seed_demo_rules().written == 0


def test_a_kit_added_while_its_rule_was_offered_loses_the_discount_once_the_window_closes(
    client, discounted_rule, gateway
):
    import datetime as dt

    from django.utils import timezone

    client.post(reverse("recommendations:kit_add"), {"rule": discounted_rule.pk, "grade": 2})
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    RecommendationRule.objects.filter(pk=discounted_rule.pk).update(
        valid_from=yesterday - dt.timedelta(days=7), valid_until=yesterday
    )

    cart_page = client.get(reverse("orders:cart_detail")).content.decode()
    client.post(reverse("orders:checkout"), checkout_form())

    assert "−€3.85" not in cart_page
    assert gateway.charged == [Decimal("30.80") + Decimal("4.90")]
    order = Order.objects.get()
    assert order.discount == Decimal("0.00") and not order.discounts.exists()


def test_a_kit_whose_rule_discount_was_cut_gets_todays_lower_discount(
    client, discounted_rule, gateway
):
    client.post(reverse("recommendations:kit_add"), {"rule": discounted_rule.pk, "grade": 2})
    RecommendationRule.objects.filter(pk=discounted_rule.pk).update(
        kit_discount_percent=Decimal("5")
    )

    client.post(reverse("orders:checkout"), checkout_form())

    # 5 % of 30.80 is 1.54, not the 12.5 % recorded when the kit was added.
    assert Order.objects.get().discount == Decimal("1.54")


def test_a_kit_whose_rule_was_switched_off_loses_its_discount_at_checkout(
    client, discounted_rule, gateway
):
    client.post(reverse("recommendations:kit_add"), {"rule": discounted_rule.pk, "grade": 2})
    RecommendationRule.objects.filter(pk=discounted_rule.pk).update(is_active=False)

    client.post(reverse("orders:checkout"), checkout_form())

    assert gateway.charged == [Decimal("30.80") + Decimal("4.90")]
    assert Order.objects.get().discount == Decimal("0.00")


@pytest.mark.parametrize("change", ["switched off", "out of its dates"])
def test_a_zone_rule_that_ends_takes_its_products_discount_with_it(client, gateway, change):
    """The kit's own products keep their discount; the zone rule's product is at full price."""
    import datetime as dt

    from django.utils import timezone

    from recommendations.models import ZoneRule
    from tests.diagnosis.factories import finished_check, zone_list
    from tests.recommendations.factories import zone_kit_rule

    rule = zone_kit_rule()  # cleanser 10.00 + a chin zone rule's spot gel 5.00, 10 % off
    shopper = UserFactory()
    client.force_login(shopper)
    check = finished_check(user=shopper, score=3, zones=zone_list(chin=3.4))
    kit_form = {"rule": rule.pk, "grade": 3, "diagnosis": check.pk}
    client.post(reverse("recommendations:kit_add"), kit_form)
    assert "−€1.50" in client.get(reverse("orders:cart_detail")).content.decode()

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ended = (
        {"is_active": False}
        if change == "switched off"
        else {"valid_from": yesterday - dt.timedelta(days=7), "valid_until": yesterday}
    )
    ZoneRule.objects.update(**ended)

    cart_page = client.get(reverse("orders:cart_detail")).content.decode()
    client.post(reverse("orders:checkout"), checkout_form())

    assert "−€1.50" not in cart_page and "−€1.00" in cart_page
    assert gateway.charged == [Decimal("15.00") - Decimal("1.00") + Decimal("4.90")]
    assert Order.objects.get().discount == Decimal("1.00")
