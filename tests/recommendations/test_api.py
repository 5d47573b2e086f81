"""GET /api/v1/recommendations/ and POST /api/v1/cart/kits/, and their OpenAPI schema."""

import pytest
import schemathesis
from django.urls import reverse
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import positive_data_acceptance

from orders.models import CartLine
from skinshop.wsgi import application
from tests.catalog.factories import ProductFactory
from tests.recommendations.factories import (
    PlanStepFactory,
    PlanWarningFactory,
    RuleFactory,
    RuleItemFactory,
    zone_kit_rule,
)

RECOMMENDATIONS = reverse("api:recommendations")
KITS = reverse("api:cart_kits")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def mild_rule(db):
    rule = RuleFactory(min_grade=2, max_grade=2, name="Mild", kit_name="Mild acne kit")
    PlanStepFactory(plan=rule.plan, timing="evening", title="Treat", from_week=2)
    PlanWarningFactory(plan=rule.plan, text="Bleaches fabrics.")
    RuleItemFactory(
        rule=rule,
        product__name="Gel",
        product__slug="gel",
        quantity=2,
        product__stock=3,
        when="evening",
        how_to_use="Thin layer.",
    )
    RuleItemFactory(rule=rule, product__name="Patches", product__role="spot_care", product__stock=0)
    return rule


@pytest.fixture
def kit_rule(db):
    return zone_kit_rule()


@pytest.mark.django_db
@pytest.mark.parametrize("grade", range(6))
def test_every_grade_gets_a_recommendation(api, grade):
    ProductFactory(role="cleanser")

    response = api.get(RECOMMENDATIONS, {"grade": grade})

    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == grade and body["is_default"] is True
    assert body["kit"]["rule"] is None and body["kit"]["product_count"] == 1
    assert body["refer_to_dermatologist"] is (grade >= 4)


def test_a_recommendation_has_the_plan_the_lines_and_the_kit(api, mild_rule):
    body = api.get(RECOMMENDATIONS, {"grade": 2}).json()

    assert body["rule"] == {"id": mild_rule.pk, "name": "Mild"}
    assert body["grade_label"] == "mild"
    assert body["condition"]["slug"] == "acne-vulgaris" and body["condition"]["max_grade"] == 5
    assert body["plan"]["steps"] == [
        {
            "timing": "evening",
            "title": "Treat",
            "instructions": "Apply a thin layer.",
            "from_week": 2,
        }
    ]
    assert body["plan"]["warnings"] == [
        {"level": "caution", "text": "Bleaches fabrics.", "conditional": False}
    ]
    gel, patches = body["lines"]
    assert gel["product"]["slug"] == "gel" and gel["product"]["available"] == 3
    assert (gel["quantity"], gel["when"], gel["in_stock"], gel["line_total"]) == (
        2,
        "evening",
        True,
        "19.80",
    )
    assert patches["in_stock"] is False and patches["substitute_for"] is None
    assert body["kit"] == {
        "rule": mild_rule.pk,
        "diagnosis": "",
        "title": "Mild acne kit",
        "total": "19.80",
        "discount_percent": "0.00",
        "discount": "0.00",
        "discounted_total": "19.80",
        "currency": "EUR",
        "product_count": 1,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "grade: This field is required."),
        ({"grade": "x"}, "grade: A valid integer is required."),
        ({"grade": 6}, "GEA (Global Acne Severity) grades run from 0 to 5; 6 is not one."),
        ({"grade": 1, "skin_type": "scaly"}, 'skin_type: "scaly" is not a valid choice.'),
    ],
)
def test_bad_queries_get_a_clear_400(api, query, message):
    response = api.get(RECOMMENDATIONS, query)

    assert response.status_code == 400
    assert response.json()["message"] == message


def test_post_a_kit_by_rule_adds_what_stock_allows(api, mild_rule):
    response = api.post(KITS, {"rule": mild_rule.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert [(a["product"]["slug"], a["quantity"]) for a in body["added"]] == [("gel", 2)]
    assert body["problems"] == ["Acme Derm Patches is out of stock and was not added."]
    assert body["cart"]["count"] == 2 and body["cart"]["subtotal"] == "19.80"
    # The session keeps the cart: the cart API sees the kit.
    assert api.get(reverse("api:cart")).json()["count"] == 2


def test_post_a_kit_by_grade(api, mild_rule):
    response = api.post(KITS, {"grade": 2}, format="json")

    assert response.status_code == 201
    assert CartLine.objects.get().quantity == 2


def test_posting_the_kit_again_reports_that_stock_is_used_up(api, mild_rule):
    api.post(KITS, {"rule": mild_rule.pk}, format="json")

    response = api.post(KITS, {"rule": mild_rule.pk}, format="json")

    assert response.status_code == 201
    assert (
        response.json()["problems"][-1]
        == "Acme Derm Gel: only 1 of 2 added, the rest is not in stock."
    )
    assert CartLine.objects.get().quantity == 3


@pytest.mark.django_db
def test_a_kit_with_nothing_to_add_is_a_400_that_says_why(api):
    rule = RuleFactory()
    RuleItemFactory(rule=rule, product__name="Gone", product__stock=0)

    response = api.post(KITS, {"rule": rule.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Nothing from this kit could be added. Acme Derm Gone is out of stock and was not added."
    )
    assert not CartLine.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Give `rule`, `grade` or `diagnosis`."),
        ({"grade": "2"}, "grade: A valid integer is required."),
        (
            {"grade": 2, "condition": 0},
            'condition: Enter a valid "slug" consisting of letters, '
            "numbers, underscores or hyphens.",
        ),
        ({"grade": 9}, "GEA (Global Acne Severity) grades run from 0 to 5; 9 is not one."),
    ],
)
def test_bad_kit_requests_get_a_clear_400(api, body, message):
    response = api.post(KITS, body, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == message


@pytest.mark.django_db
def test_both_endpoints_are_in_the_openapi_schema(api):
    schema = api.get(reverse("api:schema"), {"format": "json"}).json()

    get = schema["paths"]["/api/v1/recommendations/"]["get"]
    assert {p["name"] for p in get["parameters"]} == {"grade", "condition", "skin_type", "zones"}
    assert set(get["responses"]) == {"200", "400", "404"}
    post = schema["paths"]["/api/v1/cart/kits/"]["post"]
    assert set(post["responses"]) == {"201", "400", "403", "404"}  # 403: CSRF
    assert "Recommendation" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_what_does_not_exist_is_a_404(api):
    response = api.get(RECOMMENDATIONS, {"grade": 1, "condition": "rosacea"})
    assert response.status_code == 404
    assert response.json()["message"] == "Unknown skin condition 'rosacea'."

    response = api.post(KITS, {"rule": 999}, format="json")
    assert response.status_code == 404
    assert response.json()["message"] == "This kit is not offered any more."


# --- zones ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_takes_zones_and_says_why_each_product_is_there(api, kit_rule):
    response = api.get(RECOMMENDATIONS, {"grade": 3, "zones": "chin:3.4,nose:1"})

    assert response.status_code == 200
    body = response.json()
    assert [(line["product"]["name"], line["why"]) for line in body["lines"]] == [
        ("Acme Derm Cleanser", "Part of your routine for moderate acne vulgaris."),
        ("Acme Derm Spot gel", "A spot treatment for the inflamed spots on your chin and jaw."),
    ]
    assert body["zones"] == [
        {"zone": "chin", "label": "chin and jaw", "severity": 3.4},
        {"zone": "nose", "label": "nose", "severity": 1.0},
    ]
    # Typed zones show what a check would add; only a check's own zones join the kit.
    assert body["kit"]["product_count"] == 1 and body["kit"]["diagnosis"] == ""
    assert body["kit"]["total"] == "10.00" and body["kit"]["discounted_total"] == "9.00"


@pytest.mark.django_db
def test_the_api_without_zones_is_the_grades_routine(api, kit_rule):
    body = api.get(RECOMMENDATIONS, {"grade": 3, "zones": ""}).json()

    assert [line["product"]["name"] for line in body["lines"]] == ["Acme Derm Cleanser"]
    assert body["zones"] == []


@pytest.mark.parametrize(
    "zones, message",
    [
        (
            "ear:2",
            "'ear:2' is not zone:severity with a zone of forehead, nose, left_cheek, "
            "right_cheek, chin.",
        ),
        (
            "chin",
            "'chin' is not zone:severity with a zone of forehead, nose, left_cheek, "
            "right_cheek, chin.",
        ),
        ("chin:x", "'chin:x': the severity must be a number from 0 up."),
        ("chin:-1", "'chin:-1': the severity must be a number from 0 up."),
        ("chin:inf", "'chin:inf': the severity must be a number from 0 up."),
        ("chin:1,chin:2", "'chin' is given twice."),
        ("chin:6", "The severity of the chin and jaw runs from 0 to 5; 6.0 is not."),
    ],
)
@pytest.mark.django_db
def test_bad_zones_get_a_clear_400(api, zones, message):
    response = api.get(RECOMMENDATIONS, {"grade": 3, "zones": zones})

    assert response.status_code == 400
    assert message in str(response.json())


@pytest.fixture
def shopper(api, db):
    from tests.accounts.factories import UserFactory

    user = UserFactory()
    api.force_authenticate(user)
    return user


@pytest.mark.django_db
def test_the_kit_api_adds_what_ones_own_checks_zones_added_at_the_kit_discount(
    api, kit_rule, shopper
):
    from tests.diagnosis.factories import finished_check, zone_list

    check = finished_check(user=shopper, score=3, zones=zone_list(chin=3.4))
    shown = api.get(f"/api/v1/diagnoses/{check.pk}/recommendation/").json()["kit"]

    response = api.post(KITS, {"rule": shown["rule"], "diagnosis": shown["diagnosis"]}, "json")
    by_check_alone = APIClient()
    by_check_alone.force_authenticate(shopper)
    alone = by_check_alone.post(KITS, {"diagnosis": str(check.pk)}, format="json")

    assert shown["diagnosis"] == str(check.pk) and shown["product_count"] == 2
    assert response.status_code == 201
    assert [a["product"]["name"] for a in response.json()["added"]] == [
        "Acme Derm Cleanser",
        "Acme Derm Spot gel",
    ]
    assert response.json()["cart"]["kits"][0]["discount"] == "1.50"
    assert alone.status_code == 201  # the check's own grade names the kit


@pytest.mark.parametrize(
    "zones",
    [
        [{"zone": "chin", "severity": 2}],
        [{"zone": "ear", "severity": 1}],
        "chin:3",
        [],
    ],
)
@pytest.mark.django_db
def test_the_kit_api_takes_no_zones_from_the_client(api, kit_rule, zones):
    response = api.post(KITS, {"grade": 3, "zones": zones}, format="json")

    assert response.status_code == 400
    assert "send its id as `diagnosis`" in str(response.json())
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("whose", ["another shopper's", "unknown", "unfinished"])
@pytest.mark.django_db
def test_the_kit_api_takes_zones_only_from_ones_own_finished_check(api, kit_rule, shopper, whose):
    import uuid

    from tests.accounts.factories import UserFactory
    from tests.diagnosis.factories import finished_check, zone_list

    check_id = {
        "another shopper's": lambda: finished_check(user=UserFactory(), zones=zone_list(chin=3)).pk,
        "unknown": uuid.uuid4,
        "unfinished": lambda: finished_check(user=shopper, status="queued").pk,
    }[whose]()

    response = api.post(KITS, {"rule": kit_rule.pk, "diagnosis": str(check_id)}, format="json")

    assert response.status_code == (409 if whose == "unfinished" else 404)
    assert not CartLine.objects.exists()


# Every response of the two endpoints matches what the schema declares.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).include(
    path_regex=r"^/api/v1/(recommendations|cart/kits)/$"
)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_responses_match_the_schema(case, mild_rule, wsgi_calls_keep_the_test_transaction):
    # The top grade is data (the condition's scale), not in the schema, so a schema-valid
    # grade 9 is rightly refused: that one check cannot apply here.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
