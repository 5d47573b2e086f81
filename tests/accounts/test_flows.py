import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_sign_up_creates_the_account_and_logs_in(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "sam",
            "email": "Sam@Example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )

    user = User.objects.get(username="sam")
    assert user.email == "Sam@example.com" and user.check_password(PASSWORD)
    assert response.context["user"] == user
    assert response.redirect_chain[-1][0] == reverse("accounts:profile")


def test_sign_up_refuses_a_taken_email_and_a_weak_password(client):
    UserFactory(email="sam@example.com")
    response = client.post(
        reverse("accounts:signup"),
        {"username": "sam2", "email": "SAM@example.com", "password1": "123", "password2": "123"},
    )

    errors = response.context["form"].errors
    assert errors["email"] == ["An account with this e-mail address already exists."]
    assert "This password is too short." in " ".join(errors["password2"])
    assert not User.objects.filter(username="sam2").exists()


@pytest.mark.parametrize("identifier", ["sam", "SAM@example.com"])
def test_log_in_with_username_or_email(client, identifier):
    user = UserFactory(username="sam", email="sam@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": identifier, "password": PASSWORD}, follow=True
    )

    assert response.context["user"] == user


def test_wrong_password_says_so_and_logs_nobody_in(client):
    UserFactory(username="sam")
    response = client.post(reverse("accounts:login"), {"username": "sam", "password": "nope"})
    assert "do not match an account" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_repeated_wrong_passwords_pause_log_ins_from_that_address_only(client):
    UserFactory(username="sam")
    login = reverse("accounts:login")
    for _ in range(5):
        client.post(login, {"username": "sam", "password": "nope"})

    # Even the right password waits now, from this address...
    paused = client.post(login, {"username": "sam", "password": PASSWORD})
    assert "Too many failed log-ins" in paused.content.decode()
    assert paused.status_code == 429 and 0 < int(paused["Retry-After"]) <= 15 * 60
    assert not paused.context["user"].is_authenticated
    # ...while the owner, elsewhere, is not locked out by a stranger's guesses.
    elsewhere = client.post(
        login, {"username": "sam", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9", follow=True
    )
    assert elsewhere.context["user"].is_authenticated


def test_log_out_is_post_only(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), follow=True)
    assert not response.context["user"].is_authenticated


def test_password_reset_by_email(client, mailoutbox):
    user = UserFactory(email="sam@example.com")

    client.post(reverse("accounts:password_reset"), {"email": "sam@example.com"})
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["sam@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)

    form_page = client.get(link, follow=True)  # Django swaps the token for a session marker
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-Secret-42", "new_password2": "another-Secret-42"},
        follow=True,
    )

    assert done.redirect_chain[-1][0] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("another-Secret-42")
    assert not client.get(link, follow=True).context["validlink"]  # the link works once


def test_password_reset_for_an_unknown_email_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def test_profile_lists_the_users_orders(client):
    user = UserFactory()
    mine = place_order(user=user)
    theirs = place_order(user=UserFactory())

    assert client.get(reverse("accounts:profile")).status_code == 302  # to the log-in page
    client.force_login(user)
    content = client.get(reverse("accounts:profile")).content.decode()
    assert mine.number in content and theirs.number not in content
