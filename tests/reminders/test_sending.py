"""Beat sends each due reminder once, to active shoppers with an address, and retries a
failed send at the next tick."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from reminders import selectors, services, tasks
from reminders.models import CheckReminder
from tests.accounts.factories import UserFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def test_a_due_reminder_is_sent_once_though_the_task_runs_twice(mailoutbox):
    reminder = ReminderFactory()

    assert services.send_due() == 1
    assert services.send_due() == 0

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [reminder.user.email]
    reminder.refresh_from_db()
    assert reminder.sent_at is not None and not reminder.is_active


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: ReminderFactory(cancelled_at=timezone.now()), id="cancelled"),
        pytest.param(lambda: ReminderFactory(sent_at=timezone.now()), id="already sent"),
        pytest.param(
            lambda: ReminderFactory(due_at=timezone.now() + timedelta(days=1)), id="not due"
        ),
        pytest.param(
            lambda: ReminderFactory(user=UserFactory(is_active=False)), id="inactive user"
        ),
        pytest.param(lambda: ReminderFactory(user=UserFactory(email="")), id="no e-mail"),
        pytest.param(
            lambda: ReminderFactory(claimed_until=timezone.now() + timedelta(minutes=5)),
            id="being sent by another worker",
        ),
    ],
)
def test_nothing_is_sent_for(make, mailoutbox):
    make()

    assert services.send_due() == 0
    assert mailoutbox == []


def test_a_claim_left_by_a_crashed_sender_runs_out(mailoutbox):
    ReminderFactory(claimed_until=timezone.now() - timedelta(seconds=1))

    assert services.send_due() == 1


def test_a_failed_send_is_logged_and_sent_at_the_next_tick(mailoutbox, caplog):
    reminder = ReminderFactory()

    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("mail server down")
    ):
        assert services.send_due() == 0

    reminder.refresh_from_db()
    assert reminder.is_active and reminder.attempts == 1 and reminder.claimed_until is None
    assert "Could not send check reminder" in caplog.text

    assert services.send_due() == 1
    assert len(mailoutbox) == 1


def test_a_reminder_that_keeps_failing_is_given_up_after_the_last_attempt(settings, caplog):
    settings.REMINDERS_MAX_ATTEMPTS = 2
    reminder = ReminderFactory()

    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("mailbox refused")
    ):
        services.send_due()
        services.send_due()
        services.send_due()  # not tried a third time

    reminder.refresh_from_db()
    assert reminder.attempts == 2
    assert "Giving up on check reminder" in caplog.text


def test_a_reminder_moved_while_it_was_being_sent_stays_due_at_its_new_date(mailoutbox):
    reminder = ReminderFactory()
    moved = []

    def send_and_reschedule(message):
        # The shopper asks for a new date while the mail server is answering.
        services.schedule(user=reminder.user, weeks=4)
        moved.append(message)
        return 1

    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send",
        autospec=True,
        side_effect=send_and_reschedule,
    ):
        services.send_due()

    reminder.refresh_from_db()
    assert moved and reminder.is_active
    assert reminder.due_at > timezone.now() + timedelta(weeks=3)


def test_the_email_links_to_a_new_check_and_a_one_click_unsubscribe(settings, mailoutbox):
    settings.SITE_URL = "https://shop.example.com"
    reminder = ReminderFactory(weeks=8, user=UserFactory(first_name="Alex"))

    services.send_due()

    message = mailoutbox[0]
    token = message.extra_headers["List-Unsubscribe"].rstrip("/>").rsplit("/", 1)[-1]
    unsubscribe = f"https://shop.example.com/reminders/unsubscribe/{token}/"
    assert selectors.reminder_by_token(token) == reminder  # minted for this e-mail
    assert message.subject == "Time to check your skin again"
    assert "Hello Alex" in message.body and "8 weeks ago" in message.body
    assert "https://shop.example.com/diagnosis/" in message.body
    assert "https://shop.example.com/diagnosis/history/" in message.body
    assert unsubscribe in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="https://shop.example.com/diagnosis/"' in html
    assert f'href="{unsubscribe}"' in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.message()["List-Unsubscribe"] == f"<{unsubscribe}>"


def test_without_a_site_url_nothing_is_sent_rather_than_broken_links(settings, mailoutbox):
    settings.SITE_URL = ""
    ReminderFactory()

    assert services.send_due() == 0
    assert mailoutbox == []
    assert CheckReminder.objects.get().is_active


def test_beat_runs_the_send_task_on_the_default_queue(mailoutbox):
    entries = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "reminders.tasks.send_due_reminders"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"] == float(django_settings.REMINDERS_SEND_EVERY)
    assert "queue" not in entries[0].get("options", {})  # Celery's default, as account e-mails

    ReminderFactory()
    assert tasks.send_due_reminders.apply().get() == 1
    assert len(mailoutbox) == 1
