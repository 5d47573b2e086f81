"""The storefront routine pages and the include the diagnosis result page will embed."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from recommendations.services.routine import recommend
from tests.catalog.factories import ProductFactory
from tests.recommendations.factories import (
    PlanStepFactory,
    PlanWarningFactory,
    RuleFactory,
    RuleItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderate_rule():
    rule = RuleFactory(
        min_grade=3, max_grade=3, plan__name="Retinoid with benzoyl peroxide", kit_name="Kit 3"
    )
    PlanStepFactory(plan=rule.plan, timing="morning", title="Benzoyl peroxide gel")
    PlanStepFactory(plan=rule.plan, timing="evening", title="Adapalene", from_week=3)
    PlanWarningFactory(plan=rule.plan, text="Introduce retinoids gradually.")
    RuleItemFactory(rule=rule, product__name="Adapalene Gel", how_to_use="Pea-sized amount.")
    RuleItemFactory(
        rule=rule, product__name="Sulfur Spot", product__role="spot_care", product__stock=0
    )
    return rule


def test_the_index_lists_every_grade_of_the_scale(client):
    response = client.get(reverse("recommendations:routine_index"))

    html = response.content.decode()
    for grade, label in enumerate(["Clear", "Almost clear", "Mild", "Moderate", "Severe"]):
        assert label in html
        assert reverse("recommendations:routine_detail", args=[grade]) in html


@pytest.mark.parametrize("grade", range(6))
def test_every_grade_has_a_routine_page(client, grade):
    ProductFactory(role="cleanser", name="Basic cleanser")

    response = client.get(reverse("recommendations:routine_detail", args=[grade]))

    assert response.status_code == 200
    assert "Basic gentle routine" in response.content.decode()
    assert ("See a dermatologist" in response.content.decode()) == (grade >= 4)


def test_the_routine_page_shows_plan_products_and_the_kit(client, moderate_rule):
    response = client.get(reverse("recommendations:routine_detail", args=[3]))

    html = response.content.decode()
    assert "Your routine: Retinoid with benzoyl peroxide" in html
    assert "Benzoyl peroxide gel" in html and "(from week 3)" in html
    assert "Introduce retinoids gradually." in html
    assert "Pea-sized amount." in html and "€9.90" in html
    assert "Unavailable" in html  # the sold-out spot care, no replacement in the shop
    assert reverse("orders:cart_add", args=[moderate_rule.items.first().product_id]) in html
    assert f'name="rule" value="{moderate_rule.pk}"' in html
    assert "1 product is out of stock and not included." in html


def test_the_skin_type_filter_picks_the_skin_type_rule(client):
    RuleFactory(plan__name="Any skin plan")
    RuleFactory(plan__name="Oily skin plan", skin_type="oily")

    html = client.get(
        reverse("recommendations:routine_detail", args=[2]), {"skin_type": "oily"}
    ).content.decode()

    assert "Oily skin plan" in html


def test_an_invalid_skin_type_is_ignored(client):
    RuleFactory(plan__name="Any skin plan")

    response = client.get(
        reverse("recommendations:routine_detail", args=[2]), {"skin_type": "scaly"}
    )

    assert response.status_code == 200 and "Any skin plan" in response.content.decode()


def test_a_grade_beyond_the_scale_is_not_found(client):
    response = client.get(reverse("recommendations:routine_detail", args=[6]))

    assert response.status_code == 404


def test_the_include_renders_a_recommendation_on_any_page(moderate_rule):
    request = RequestFactory().get("/diagnoses/1/")

    html = render_to_string(
        "recommendations/includes/routine.html",
        {"recommendation": recommend(grade=3)},
        request=request,
    )

    assert 'data-testid="routine"' in html
    assert html.count('data-testid="routine-product"') == 2
    assert "Add the whole kit to cart" in html


@pytest.mark.parametrize("grade", ["²", "③", "٣x", "-1", ""])
def test_adding_a_kit_with_a_garbled_grade_goes_back_to_the_routines_not_a_server_error(
    client, grade
):
    response = client.post(reverse("recommendations:kit_add"), {"grade": grade})

    assert response.status_code == 302
    assert response.url == reverse("recommendations:routine_index")
