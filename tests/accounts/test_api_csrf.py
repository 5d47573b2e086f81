"""Another site cannot post into an anonymous shopper's session through the API."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db

CART, LINES = "/api/v1/cart/", "/api/v1/cart/lines/"


@pytest.fixture
def browser() -> Client:
    """A browser that enforces CSRF as a real one meets it, holding an anonymous cart."""
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")  # the shop's forms set the CSRF cookie
    token = browser.cookies["csrftoken"].value
    browser.post(
        LINES,
        {"product_id": ProductFactory().pk, "quantity": 1},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert browser.get(CART).json()["count"] == 1
    return browser


def test_a_post_into_an_anonymous_session_without_the_csrf_token_is_refused(browser):
    response = browser.post(
        LINES, {"product_id": ProductFactory().pk, "quantity": 1}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert browser.get(CART).json()["count"] == 1


def test_the_shops_own_pages_post_with_the_token(browser):
    response = browser.post(
        LINES,
        {"product_id": ProductFactory().pk, "quantity": 1},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )

    assert response.status_code == 201
    assert browser.get(CART).json()["count"] == 2


def test_clients_without_a_session_cookie_or_with_a_token_need_no_csrf_token(browser):
    product = ProductFactory()
    app = Client(enforce_csrf_checks=True)  # a script: no cookie, nothing ambient to abuse
    assert app.post(
        LINES, {"product_id": product.pk, "quantity": 1}, content_type="application/json"
    ).status_code in (200, 201)

    token = Token.objects.create(user=UserFactory()).key
    response = browser.post(
        LINES,
        {"product_id": product.pk, "quantity": 1},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code in (200, 201)


def test_another_site_cannot_plant_a_cart_through_a_cookieless_form_post():
    from orders.models import Cart

    victim = Client(enforce_csrf_checks=True)  # SameSite kept its cookie off, or it had none
    product = ProductFactory()

    for encoding in ({}, {"content_type": "text/plain"}):
        data = f"product_id={product.pk}&quantity=1" if encoding else {"product_id": product.pk}
        response = victim.post(LINES, data, **encoding)
        assert response.status_code == 403 and "CSRF" in response.json()["message"]

    assert not Cart.objects.exists()
    assert "sessionid" not in victim.cookies  # no session was created to plant anything in


def selfie_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.diagnosis.factories import selfie_bytes

    return SimpleUploadedFile("selfie.jpg", selfie_bytes(), "image/jpeg")


def test_another_site_cannot_plant_a_selfie_through_a_cookieless_multipart_post():
    from diagnosis.models import Diagnosis

    victim = Client(enforce_csrf_checks=True)

    response = victim.post("/api/v1/diagnoses/", {"image": selfie_upload(), "consent": "true"})

    assert response.status_code == 403 and "CSRF" in response.json()["message"]
    assert not Diagnosis.objects.exists() and "sessionid" not in victim.cookies


def test_a_cookieless_browser_script_gets_the_csrf_token_from_the_api_then_uploads(monkeypatch):
    from diagnosis import services

    monkeypatch.setattr(services, "enqueue", lambda pk: True)
    script = Client(enforce_csrf_checks=True)
    token = script.get("/api/v1/auth/csrf/").json()["csrf_token"]

    response = script.post(
        "/api/v1/diagnoses/",
        {"image": selfie_upload(), "consent": "true"},
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 201
