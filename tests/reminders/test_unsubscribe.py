"""The e-mail's unsubscribe link, as a shopper and a mail provider (one-click) use it."""

import pytest
from django.test import Client
from django.urls import reverse

from reminders import services
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def unsubscribe_url(reminder) -> str:
    return reverse("reminders:unsubscribe", args=[services.issue_token(reminder)])


def test_opening_the_unsubscribe_link_asks_first_and_cancels_nothing(client):
    reminder = ReminderFactory()

    response = client.get(unsubscribe_url(reminder))

    assert response.status_code == 200
    assert 'data-testid="unsubscribe-confirm"' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-cache" in response["Cache-Control"]
    reminder.refresh_from_db()
    assert reminder.is_active


def test_confirming_on_the_page_stops_the_reminder(client):
    reminder = ReminderFactory()

    response = client.post(unsubscribe_url(reminder))

    assert response.status_code == 200
    assert 'data-testid="unsubscribed"' in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.cancelled_at is not None


def test_a_mail_providers_one_click_post_works_without_cookie_or_csrf_token():
    reminder = ReminderFactory()
    provider = Client(enforce_csrf_checks=True)

    response = provider.post(
        unsubscribe_url(reminder),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    reminder.refresh_from_db()
    assert reminder.cancelled_at is not None


def test_unsubscribing_twice_is_harmless(client):
    url = unsubscribe_url(ReminderFactory())

    client.post(url)
    assert client.post(url).status_code == 200


def test_an_old_emails_link_neither_shows_nor_stops_a_newer_reminder(client):
    from django.utils import timezone

    from reminders.models import CheckReminder

    old = ReminderFactory()
    url = unsubscribe_url(old)
    CheckReminder.objects.filter(pk=old.pk).update(sent_at=timezone.now())
    newer = services.schedule(user=old.user, weeks=12)

    page = client.get(url).content.decode()
    client.post(url)

    assert "cancels your reminder due" not in page and "already sent or cancelled" in page
    newer.refresh_from_db()
    assert newer.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_token_is_not_found(client, method):
    ReminderFactory()

    response = getattr(client, method)(reverse("reminders:unsubscribe", args=["x" * 43]))

    assert response.status_code == 404
