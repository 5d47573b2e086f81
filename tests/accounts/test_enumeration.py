"""Sign-up and password reset tell no one whether an address has an account, and cannot be
used to flood a mailbox: neutral answers, limits, and e-mails sent by a Celery task."""

import pytest
from django.urls import reverse

from accounts import services
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")
SIGNUP = reverse("accounts:signup")


def reset(client, email: str, **extra):
    return client.post(RESET, {"email": email}, **extra)


def test_the_reset_e_mail_leaves_by_a_celery_task_not_within_the_request(
    client, mailoutbox, account_emails_sent, django_capture_on_commit_callbacks, monkeypatch
):
    from accounts.tasks import send_email

    UserFactory(email="sam@example.com")
    queued = []
    monkeypatch.setattr(send_email, "apply_async", lambda kwargs=None, **o: queued.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        known = reset(client, "sam@example.com")
        unknown = reset(client, "nobody@example.com")

    assert mailoutbox == []  # nothing was sent while the shopper waited
    assert [message["to"] for message in queued] == [["sam@example.com"]]
    assert "reset" in queued[0]["subject"].lower()
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)


def test_one_address_receives_at_most_three_account_e_mails_an_hour(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="sam@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        answers = {
            reset(client, "sam@example.com", REMOTE_ADDR=f"192.0.2.{n}").url for n in range(6)
        }

    assert answers == {reverse("accounts:password_reset_done")}  # the same answer every time
    assert len(mailoutbox) == services.ACCOUNT_MAILS_PER_RECIPIENT == 3


def test_password_reset_requests_are_limited_per_address(client):
    for n in range(services.PASSWORD_RESETS_PER_ADDRESS):
        assert reset(client, f"someone{n}@example.com").status_code == 302

    response = reset(client, "one-more@example.com")

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many requests" in response.content.decode()
    assert reset(client, "x@example.com", REMOTE_ADDR="203.0.113.5").status_code == 302


def test_sign_ups_are_limited_per_address(client):
    def sign_up(n: int, **extra):
        return client.post(
            SIGNUP,
            {
                "username": f"new{n}",
                "email": f"new{n}@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            **extra,
        )

    for n in range(services.SIGNUPS_PER_ADDRESS):
        assert sign_up(n).status_code == 302

    assert sign_up(99).status_code == 429
    assert sign_up(100, REMOTE_ADDR="203.0.113.5").status_code == 302


def test_the_sign_up_e_mail_leaves_by_a_celery_task(
    client, mailoutbox, account_emails_sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            SIGNUP,
            {"username": "sam", "email": "sam@example.com", "password1": PASSWORD,
             "password2": PASSWORD},
        )

    assert [message["to"] for message in account_emails_sent] == [["sam@example.com"]]
    assert mailoutbox[0].subject == account_emails_sent[0]["subject"]
