"""The site-wide layout (templates/base.html) as the product list renders it."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalog:product_list")


def test_layout_is_mobile_ready_with_local_styles_only(client):
    content = client.get(LIST_URL).content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in content
    assert 'href="/static/css/site.css"' in content
    assert finders.find("css/site.css")
    # No CDN: every stylesheet and script is served by the shop itself.
    assert not re.search(r'(href|src)="(https?:)?//', content)
    assert '<main id="main"' in content and 'href="#main"' in content
    assert "<footer" in content


def test_anonymous_visitor_gets_log_in_and_sign_up_links(client):
    content = client.get(LIST_URL).content.decode()

    assert f'href="{reverse("accounts:login")}?next=/"' in content
    assert f'href="{reverse("accounts:signup")}"' in content
    assert reverse("accounts:logout") not in content


def test_signed_in_user_gets_profile_link_and_a_post_logout_form(client):
    user = get_user_model().objects.create_user("ana", "ana@example.com", "pw-long-enough-1")
    client.force_login(user)

    content = client.get(LIST_URL).content.decode()

    assert f'href="{reverse("accounts:profile")}"' in content
    assert re.search(
        rf'<form method="post" action="{re.escape(reverse("accounts:logout"))}">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken"',
        content,
    )
    assert reverse("accounts:login") not in content


def test_cart_badge_shows_the_cart_count(client):
    content = client.get(LIST_URL).content.decode()

    assert re.search(r'data-testid="cart-count">\s*0\s*<', content)


def test_messages_are_shown_with_their_level(rf):
    request = rf.get("/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.error(request, "Payment declined.")
    messages.success(request, "Added to cart.")

    content = render_to_string("base.html", request=request)

    assert '<li class="message message--error" role="alert">Payment declined.</li>' in content
    assert '<li class="message message--success" role="status">Added to cart.</li>' in content
