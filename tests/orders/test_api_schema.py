"""The cart, order and token endpoints answer as the OpenAPI schema says, whatever they get."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from skinshop.wsgi import application
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.orders.factories import place_order

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).include(
    path_regex=r"^/api/v1/(cart/|cart/lines/.*|orders/.*|auth/token/)$"
)


@pytest.fixture
def token(db) -> str:
    user = UserFactory()
    ProductFactory(stock=5)
    place_order(user=user)
    return Token.objects.create(user=user).key


@pytest.fixture
def wsgi_calls_keep_the_test_transaction():
    """What Django's test client does: a request through the bare WSGI app must not close the
    connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
# Derandomized: the same examples every run, so CI never goes red on a new random draw
# (random exploration found the big-id and empty-page cases that are now fixed and pinned).
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_responses_match_the_schema(case, token, wsgi_calls_keep_the_test_transaction):
    # Schema-valid input can still be refused by business rules (an unknown product id, a
    # card number that fails the Luhn check), so "valid data is accepted" cannot apply. The
    # token sent here is valid, so "invalid auth is refused" cannot apply either (it sees a
    # made-up session cookie beside our token); tests/orders/test_api.py pins the 403.
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[positive_data_acceptance, ignored_auth],
    )
