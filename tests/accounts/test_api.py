import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD, UserFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.mark.parametrize("identifier", ["sam", "sam@example.com"])
def test_token_for_username_or_email_and_password(identifier):
    user = UserFactory(username="sam", email="sam@example.com")

    response = APIClient().post(TOKEN_URL, {"username": identifier, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_the_token_authenticates_api_calls():
    user = UserFactory(username="sam")
    order = place_order(user=user)
    token = APIClient().post(TOKEN_URL, {"username": "sam", "password": PASSWORD}).json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/orders/")

    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [order.number]


def test_wrong_credentials_are_401_with_a_message():
    UserFactory(username="sam")
    response = APIClient().post(TOKEN_URL, {"username": "sam", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["message"] == "Wrong username/e-mail or password."


def test_repeated_wrong_passwords_are_429_for_a_while():
    UserFactory(username="sam")
    api = APIClient()
    for _ in range(5):
        assert api.post(TOKEN_URL, {"username": "sam", "password": "wrong"}).status_code == 401

    response = api.post(TOKEN_URL, {"username": "sam", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.json()["message"]
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_a_missing_field_is_400():
    response = APIClient().post(TOKEN_URL, {"username": "sam"})
    assert response.status_code == 400 and response.json()["message"].startswith("password:")
