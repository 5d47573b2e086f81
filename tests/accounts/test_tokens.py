"""API tokens do not live forever: they expire, and a password change or reset, or logging
out everywhere, ends them (and, for the latter, every web session too). A refused token is
403, as any bad token is (session authentication comes first and sends no WWW-Authenticate)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ORDERS = "/api/v1/orders/"


def token_client(user) -> tuple[APIClient, str]:
    key = APIClient().post(TOKEN_URL, {"username": user.username, "password": PASSWORD}).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key['token']}")
    return client, key["token"]


def test_a_token_past_its_lifetime_is_refused_and_a_new_log_in_gives_a_fresh_one(settings):
    settings.API_TOKEN_LIFETIME = 3600
    user = UserFactory()
    client, old_key = token_client(user)
    assert client.get(ORDERS).status_code == 200
    Token.objects.filter(key=old_key).update(created=timezone.now() - timedelta(hours=2))

    expired = client.get(ORDERS)
    _, new_key = token_client(user)

    assert expired.status_code == 403
    assert "expired" in expired.json()["message"]
    assert not Token.objects.filter(key=old_key).exists()
    assert new_key != old_key


def test_logging_in_again_with_an_expired_token_on_file_replaces_it(settings):
    settings.API_TOKEN_LIFETIME = 3600
    user = UserFactory()
    _, old_key = token_client(user)
    Token.objects.filter(key=old_key).update(created=timezone.now() - timedelta(hours=2))

    client, new_key = token_client(user)

    assert new_key != old_key and client.get(ORDERS).status_code == 200


def test_a_password_change_ends_the_api_token():
    user = UserFactory()
    client, _ = token_client(user)

    user.set_password("a-new-Secret-77")
    user.save()

    assert client.get(ORDERS).status_code == 403
    assert not Token.objects.filter(user=user).exists()


def test_a_password_reset_by_e_mail_ends_the_api_token(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(email="sam@example.com")
    api, _ = token_client(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "sam@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-Secret-42", "new_password2": "another-Secret-42"},
    )

    user.refresh_from_db()
    assert user.check_password("another-Secret-42")
    assert api.get(ORDERS).status_code == 403


def test_logging_out_everywhere_through_the_api_ends_the_token_and_every_web_session(client):
    user = UserFactory()
    api, _ = token_client(user)
    client.force_login(user)  # the same account in a browser
    assert client.get(reverse("accounts:profile")).status_code == 200

    response = api.post("/api/v1/auth/logout-everywhere/")

    assert response.status_code == 204
    assert api.get(ORDERS).status_code == 403
    assert client.get(reverse("accounts:profile")).status_code == 302  # to the log-in page


def test_logging_out_everywhere_from_the_profile_page(client):
    from django.test import Client

    user = UserFactory()
    api, _ = token_client(user)
    phone = Client()
    phone.force_login(user)
    client.force_login(user)

    response = client.post(reverse("accounts:logout_everywhere"))

    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert api.get(ORDERS).status_code == 403
    # A new log-in works as before.
    assert client.login(username=user.username, password=PASSWORD)
    assert client.get(reverse("accounts:profile")).status_code == 200
