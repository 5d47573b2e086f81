"""Sign-up and password reset through the API, so an app need not send people to the website:
the same answers, e-mails and limits as the web forms, documented in the schema."""

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts import services
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
SIGNUP = "/api/v1/auth/signup/"
SIGNUP_CONFIRM = "/api/v1/auth/signup/confirm/"
RESET = "/api/v1/auth/password-reset/"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm/"
NEW_PASSWORD = "a-brand-new-passphrase-7"


@pytest.fixture
def api():
    return APIClient()


def link_parts(message) -> tuple[str, str]:
    uid, token = re.search(
        r"/(?:signup/confirm|reset)/([^/\s]+)/([^/\s?]+)/", message.body
    ).groups()
    return uid, token


def sign_up(api, capture, **fields):
    body = {"username": "sam", "email": "sam@example.com", "password": PASSWORD} | fields
    with capture(execute=True):  # the e-mail leaves by a Celery task
        return api.post(SIGNUP, body, format="json")


def test_sign_up_then_confirm_gives_an_api_token(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    response = sign_up(api, django_capture_on_commit_callbacks)

    assert response.status_code == 202 and "Check your inbox" in response.json()["detail"]
    assert not User.objects.get(username="sam").is_active
    uid, token = link_parts(mailoutbox[0])

    confirmed = api.post(SIGNUP_CONFIRM, {"uid": uid, "token": token}, format="json")

    assert confirmed.status_code == 200
    assert User.objects.get(username="sam").is_active
    me = APIClient(HTTP_AUTHORIZATION=f"Token {confirmed.json()['token']}")
    assert me.get("/api/v1/orders/").status_code == 200
    again = api.post(SIGNUP_CONFIRM, {"uid": uid, "token": token}, format="json")
    assert again.status_code == 400


def test_sign_up_answers_alike_for_an_address_with_an_account(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="sam@example.com")

    response = sign_up(api, django_capture_on_commit_callbacks, username="other")

    assert response.status_code == 202
    assert "already has one" in mailoutbox[0].body


def test_a_weak_password_or_a_taken_username_is_a_400_by_field(api):
    UserFactory(username="taken")

    response = api.post(
        SIGNUP, {"username": "taken", "email": "x@example.com", "password": "123"}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"username", "password"}
    assert not User.objects.filter(email="x@example.com").exists()


def test_sign_ups_share_the_web_forms_limit(api, client):
    for n in range(services.SIGNUPS_PER_ADDRESS):
        body = {"username": f"new{n}", "email": f"new{n}@example.com", "password": PASSWORD}
        assert api.post(SIGNUP, body, format="json").status_code == 202

    refused = api.post(
        SIGNUP, {"username": "x", "email": "x@example.com", "password": PASSWORD}, format="json"
    )
    web = client.post("/accounts/signup/", {"username": "y", "email": "y@example.com"})

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert web.status_code == 429


def test_reset_then_set_a_new_password(api, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="sam@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(RESET, {"email": "sam@example.com"}, format="json")
    unknown = api.post(RESET, {"email": "nobody@example.com"}, format="json")

    assert response.status_code == unknown.status_code == 202
    assert response.json() == unknown.json()
    assert len(mailoutbox) == 1
    uid, token = link_parts(mailoutbox[0])

    weak = api.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "123"}, format="json"
    )
    assert weak.status_code == 400 and "new_password" in weak.json()["errors"]

    done = api.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert done.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    reused = api.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert reused.status_code == 400


def test_reset_requests_are_limited_like_the_web_form(api):
    for n in range(services.PASSWORD_RESETS_PER_ADDRESS):
        assert api.post(RESET, {"email": f"a{n}@example.com"}, format="json").status_code == 202

    refused = api.post(RESET, {"email": "b@example.com"}, format="json")

    assert refused.status_code == 429 and "Retry-After" in refused


def test_the_schema_documents_the_four_endpoints(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()

    for path in (SIGNUP, SIGNUP_CONFIRM, RESET, RESET_CONFIRM):
        operation = schema["paths"][path]["post"]
        assert operation["summary"]
    assert "429" in schema["paths"][SIGNUP]["post"]["responses"]
    assert "429" in schema["paths"][RESET]["post"]["responses"]
