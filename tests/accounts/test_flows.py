import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db

User = get_user_model()


SIGNUP = {
    "username": "sam",
    "email": "Sam@Example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def sign_up(client, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:signup"), SIGNUP | fields, follow=True)


def emailed_link(message) -> str:
    return re.search(r"http://testserver(/accounts/\S+)", message.body).group(1)


def test_sign_up_e_mails_a_link_that_confirms_the_account_and_logs_in(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = sign_up(client, django_capture_on_commit_callbacks)

    user = User.objects.get(username="sam")
    assert user.email == "Sam@example.com" and user.check_password(PASSWORD)
    assert not user.is_active and not response.context["user"].is_authenticated
    assert response.redirect_chain[-1][0] == reverse("accounts:signup_sent")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["Sam@example.com"]
    link = emailed_link(mailoutbox[0])

    assert client.get(link).status_code == 200  # a button: a mail scanner's GET does nothing
    assert not User.objects.get(username="sam").is_active
    confirmed = client.post(link, follow=True)

    assert confirmed.context["user"] == user
    assert confirmed.redirect_chain[-1][0] == reverse("accounts:profile")
    assert User.objects.get(username="sam").is_active
    assert client.post(link).status_code == 400  # the link works once


def test_sign_up_answers_alike_whether_or_not_the_e_mail_has_an_account(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    owner = UserFactory(username="first", email="sam@example.com")

    taken = sign_up(client, django_capture_on_commit_callbacks, email="SAM@example.com")
    fresh = sign_up(client, django_capture_on_commit_callbacks, username="sam2", email="x@e.com")

    assert taken.redirect_chain == fresh.redirect_chain
    assert taken.content == fresh.content
    assert "already exists" not in taken.content.decode()
    assert not User.objects.filter(username="sam").exists()  # nothing made for a taken address
    # The address's owner hears of it, and how to log in or reset the password.
    assert mailoutbox[0].to == [owner.email]
    assert "already has one" in mailoutbox[0].body and "/accounts/password-reset/" in (
        mailoutbox[0].body
    )


def test_sign_up_still_refuses_a_weak_password(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "sam2", "email": "sam@example.com", "password1": "123", "password2": "123"},
    )

    errors = response.context["form"].errors
    assert "This password is too short." in " ".join(errors["password2"])
    assert not User.objects.filter(username="sam2").exists()


def test_an_unconfirmed_sign_up_cannot_squat_an_address(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    sign_up(client, django_capture_on_commit_callbacks, username="squatter")
    sign_up(client, django_capture_on_commit_callbacks, username="owner")

    assert list(User.objects.values_list("username", flat=True)) == ["owner"]
    client.post(emailed_link(mailoutbox[-1]))
    assert User.objects.get(username="owner").is_active
    assert client.post(emailed_link(mailoutbox[0])).status_code == 400


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


def test_password_reset_by_email(client, mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="sam@example.com")

    with django_capture_on_commit_callbacks(execute=True):  # sent by a Celery task
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
