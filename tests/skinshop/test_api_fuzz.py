"""Every operation of the API, as published in /api/v1/schema/, survives what a fuzzer sends it,
as an anonymous client and as a signed-in one: no 5xx, and every answer (status, content type,
headers, body) is one the schema declares. Operations added to the schema later are fuzzed
without touching this file.

Bounded for `make test`: a few derandomized examples per operation (the same every run, so CI
never goes red on a new random draw). For a deeper, random run on your machine:
``API_FUZZ_EXAMPLES=200 pytest tests/skinshop/test_api_fuzz.py``.
"""

import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from skinshop.wsgi import application
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order

DEEP_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=DEEP_EXAMPLES or 8,
    derandomize=not DEEP_EXAMPLES,
    # One call slower than this is a defect of its own; generous for a busy 2-core machine.
    deadline=timedelta(seconds=5),
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

# Schema-valid input may still break a business rule (an unknown product id, a card number
# that fails the Luhn check, an image that is not a face), so "valid data is accepted" cannot
# hold for a fuzzer's data.
NOT_FOR_FUZZED_DATA = [positive_data_acceptance]


@pytest.fixture
def shop(db):
    """Something to find: products in stock and a customer with an order."""
    ProductFactory.create_batch(3, stock=5)
    customer = UserFactory()
    place_order(user=customer)
    return customer


@pytest.fixture
def token(shop) -> str:
    return Token.objects.create(user=shop).key


@schema.parametrize()
@FUZZ
def test_api_answers_anonymous_clients_as_its_schema_says(
    case, shop, wsgi_calls_keep_the_test_transaction
):
    # Includes "ignored_auth": an operation that needs a signed-in user refuses us.
    case.call_and_validate(excluded_checks=NOT_FOR_FUZZED_DATA)


@schema.parametrize()
@FUZZ
def test_api_answers_signed_in_clients_as_its_schema_says(
    case, token, wsgi_calls_keep_the_test_transaction
):
    # "ignored_auth" cannot apply: our valid token rides along with the made-up credentials
    # it tries. tests/orders/test_api.py pins the 403 without them.
    from schemathesis.specs.openapi.checks import ignored_auth

    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[*NOT_FOR_FUZZED_DATA, ignored_auth],
    )
