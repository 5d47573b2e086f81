"""One error hierarchy: a service's ApplicationError becomes an API answer in one place
(skinshop.api.exception_handler), with its status, its message and its code."""

import pytest
from rest_framework.test import APIClient

from skinshop import errors
from skinshop.api import exception_handler
from tests.catalog.factories import ProductFactory


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.ApplicationError("The quantity must be at least 1."), 400, "invalid"),
        (errors.NotFound("This kit is not offered any more."), 404, "not_found"),
        (errors.PaymentRequired("Your card was declined."), 402, "payment_required"),
        (errors.Conflict("This diagnosis is not finished yet."), 409, "conflict"),
        (errors.TooManyRequests("Too many requests.", retry_after=30), 429, "rate_limited"),
    ],
    ids=["invalid", "not-found", "payment-required", "conflict", "too-many-requests"],
)
def test_each_kind_of_application_error_answers_with_its_status(error, status, code):
    response = exception_handler(error, {})

    assert response.status_code == status
    assert response.data == {"message": error.message, "code": code}


def test_a_services_own_code_reaches_the_client():
    error = errors.NotFound("This product is not in your cart.", code="not_in_cart")

    assert exception_handler(error, {}).data["code"] == "not_in_cart"


def test_a_rate_limit_says_when_to_come_back():
    response = exception_handler(errors.TooManyRequests("Slow down.", retry_after=42), {})

    assert response["Retry-After"] == "42"


@pytest.mark.django_db
def test_a_service_error_raised_behind_an_endpoint_reaches_the_client_as_json():
    sold_out = ProductFactory(name="Dot Patches", stock=0)

    response = APIClient().post(
        "/api/v1/cart/lines/", {"product_id": sold_out.pk, "quantity": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"message": "Acme Derm Dot Patches is sold out.", "code": "sold_out"}
