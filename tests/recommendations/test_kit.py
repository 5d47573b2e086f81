"""'Add the whole kit to cart', through the service and the storefront, then checkout."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import ProductRole, Stock
from orders.models import CartKit, CartLine, Order, OrderStatus
from orders.services import cart as cart_services
from recommendations.services.kits import kit_add_to_cart, kit_source
from recommendations.services.routine import recommend
from tests.catalog.factories import ProductFactory
from tests.orders.factories import CartFactory, CartLineFactory
from tests.recommendations.factories import (
    RuleFactory,
    RuleItemFactory,
    cart_contents,
    checkout_form,
    zone_kit_rule,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit_rule():
    """Grades 2-3: a cleanser, two tubes of treatment (3 in stock) and a sold-out spot care."""
    rule = RuleFactory(min_grade=2, max_grade=3, kit_name="Mild acne kit")
    RuleItemFactory(rule=rule, position=1, product__name="Cleanser", product__role="cleanser")
    RuleItemFactory(rule=rule, position=2, product__name="Gel", product__stock=3, quantity=2)
    RuleItemFactory(
        rule=rule,
        position=3,
        product__name="Patches",
        product__role=ProductRole.SPOT_CARE,
        product__stock=0,
    )
    return rule


def test_the_kit_adds_every_available_product_and_names_what_it_could_not(kit_rule):
    cart = CartFactory()

    result = kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    assert cart_contents(cart) == {"Cleanser": 1, "Gel": 2}
    assert result.units_added == 3
    assert result.problems == ["Acme Derm Patches is out of stock and was not added."]


def test_the_kit_tops_up_to_what_stock_allows_next_to_the_cart(kit_rule):
    cart = CartFactory()
    gel = kit_rule.items.get(product__name="Gel").product
    CartLineFactory(cart=cart, product=gel, quantity=2)

    result = kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    assert cart_contents(cart) == {"Gel": 3, "Cleanser": 1}
    assert "Acme Derm Gel: only 1 of 2 added, the rest is not in stock." in result.problems


def test_a_product_whose_stock_is_all_in_the_cart_is_reported_not_added(kit_rule):
    cart = CartFactory()
    gel = kit_rule.items.get(product__name="Gel").product
    CartLineFactory(cart=cart, product=gel, quantity=3)

    result = kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    assert cart_contents(cart)["Gel"] == 3
    assert "Acme Derm Gel: your cart already holds all 3 in stock." in result.problems


def test_stock_sold_after_the_page_was_drawn_is_caught_by_the_cart(kit_rule):
    cart = CartFactory()
    recommendation = recommend(grade=2)
    Stock.objects.filter(product__name="Cleanser").update(quantity=0)

    result = kit_add_to_cart(cart=cart, recommendation=recommendation)

    assert cart_contents(cart) == {"Gel": 2}
    assert any("Cleanser is sold out" in problem for problem in result.problems)


def test_the_kit_is_one_transaction(kit_rule, monkeypatch):
    cart = CartFactory()
    real_add = cart_services.cart_add
    calls = []

    def add_then_fail(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_add(**kwargs)

    monkeypatch.setattr(cart_services, "cart_add", add_then_fail)

    with pytest.raises(RuntimeError):
        kit_add_to_cart(cart=cart, recommendation=recommend(grade=2))

    assert cart_contents(cart) == {}, "the first product's line was rolled back too"


# --- storefront, end to end --------------------------------------------------------------------


def test_add_the_whole_kit_from_the_routine_page_then_check_out(client, kit_rule):
    page = client.get(reverse("recommendations:routine_detail", args=[2]))
    assert b"Add the whole kit to cart" in page.content

    response = client.post(
        reverse("recommendations:kit_add"), {"rule": kit_rule.pk, "grade": 2}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("orders:cart_detail")
    shown = [str(m) for m in response.context["messages"]]
    assert shown[0] == (
        "Added the Mild acne kit to your cart: 1 × Acme Derm Cleanser, 2 × Acme Derm Gel."
    )
    assert shown[1] == "Acme Derm Patches is out of stock and was not added."

    response = client.post(reverse("orders:checkout"), checkout_form())

    order = Order.objects.get()
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert order.status == OrderStatus.PAID
    assert sorted((line.product_name, line.quantity) for line in order.lines.all()) == [
        ("Acme Derm Cleanser", 1),
        ("Acme Derm Gel", 2),
    ]
    assert order.subtotal == Decimal("29.70")
    assert Stock.objects.get(product__name="Gel").available == 1


def test_the_default_routine_kit_is_added_by_grade(client):
    for role in (ProductRole.CLEANSER, ProductRole.MOISTURIZER, ProductRole.SUNSCREEN):
        ProductFactory(role=role, name=role.label)

    client.post(reverse("recommendations:kit_add"), {"grade": 0, "condition": "acne-vulgaris"})

    cart = cart_services.cart_get_or_create(cart_id=client.session["cart_id"])
    assert cart_contents(cart) == {"Cleanser": 1, "Moisturizer": 1, "Sunscreen": 1}


def test_a_kit_that_is_no_longer_offered_says_so_and_adds_nothing(client, kit_rule):
    kit_rule.is_active = False
    kit_rule.save()

    response = client.post(
        reverse("recommendations:kit_add"), {"rule": kit_rule.pk, "grade": 2}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["This kit is not offered any more."]
    assert response.redirect_chain[-1][0] == reverse("recommendations:routine_detail", args=[2])
    assert not CartLine.objects.exists()


def test_a_kit_with_nothing_in_stock_says_nothing_was_added(client):
    rule = RuleFactory()
    RuleItemFactory(rule=rule, product__stock=0)

    response = client.post(reverse("recommendations:kit_add"), {"rule": rule.pk}, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "Nothing from this kit could be added to your cart."
    assert not CartLine.objects.exists()


def test_a_tampered_kit_form_is_refused(client):
    response = client.post(reverse("recommendations:kit_add"), {"grade": "x"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "This kit could not be found; please pick your routine again."
    ]
    assert not CartLine.objects.exists()


# --- zone additions ----------------------------------------------------------------------------


@pytest.fixture
def zone_rule():
    return zone_kit_rule()


def test_zone_additions_join_the_kit_and_its_discount(zone_rule):
    cart = CartFactory()
    recommendation = recommend(grade=3, zones=[{"zone": "chin", "severity": 3}], check="a-check")

    kit_add_to_cart(cart=cart, recommendation=recommendation)

    assert cart_contents(cart) == {"Cleanser": 1, "Spot gel": 1}
    assert (recommendation.kit_total, recommendation.kit_discount) == (
        Decimal("15.00"),
        Decimal("1.50"),
    )
    kit = CartKit.objects.get(cart=cart, source=kit_source(zone_rule))
    assert sorted(kit.items.values_list("product__name", flat=True)) == ["Cleanser", "Spot gel"]


# --- the routine page --------------------------------------------------------------------------


def test_the_routine_page_shows_why_and_its_kit_form_carries_the_zones(client, zone_rule):
    url = reverse("recommendations:routine_detail", kwargs={"grade": 3})

    html = client.get(url, {"zones": "chin:3.4"}).content.decode()

    assert html.count('data-testid="routine-product-why"') == 2
    assert "A spot treatment for the inflamed spots on your chin and jaw." in html
    assert 'name="zones" value="chin:3.4"' in html


def test_the_routine_page_ignores_bad_zones(client, zone_rule):
    url = reverse("recommendations:routine_detail", kwargs={"grade": 3})

    response = client.get(url, {"zones": "ear:9"})

    assert response.status_code == 200
    assert "Spot gel" not in response.content.decode()


def test_adding_the_kit_from_the_result_page_includes_its_checks_zone_additions(
    client, zone_rule
):
    from tests.accounts.factories import UserFactory
    from tests.diagnosis.factories import finished_check, zone_list

    shopper = UserFactory()
    client.force_login(shopper)
    check = finished_check(user=shopper, score=3, zones=zone_list(chin=3.4))
    page = client.get(reverse("diagnosis:detail", args=[check.pk])).content.decode()
    assert f'name="diagnosis" value="{check.pk}"' in page and 'name="zones"' not in page
    data = {"rule": zone_rule.pk, "grade": 3, "condition": "acne-vulgaris", "diagnosis": check.pk}

    response = client.post(reverse("recommendations:kit_add"), data)

    assert response.status_code == 302
    assert cart_contents(cart_services.cart_get_or_create(user=shopper)) == {
        "Cleanser": 1,
        "Spot gel": 1,
    }


@pytest.mark.parametrize("whose", ["typed zones", "another shopper's check"])
def test_the_kit_form_adds_no_zone_product_without_a_check_of_ones_own(client, zone_rule, whose):
    from tests.accounts.factories import UserFactory
    from tests.diagnosis.factories import finished_check, zone_list

    client.force_login(UserFactory())
    data = {"rule": zone_rule.pk, "grade": 3, "condition": "acne-vulgaris"}
    if whose == "typed zones":
        data["zones"] = "chin:3.4"
    else:
        data["diagnosis"] = finished_check(user=UserFactory(), zones=zone_list(chin=3.4)).pk

    response = client.post(reverse("recommendations:kit_add"), data, follow=True)

    assert "Spot gel" not in {line.product.name for line in CartLine.objects.all()}
    if whose != "typed zones":
        assert not CartLine.objects.exists()
        assert "No such skin check of yours." in response.content.decode()
