"""A shopper asks for a reminder, asks again, cancels it; the rules live in services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reminders import selectors, services
from reminders.models import CheckReminder
from tests.accounts.factories import UserFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def test_a_reminder_is_due_the_chosen_number_of_weeks_later():
    user = UserFactory()
    now = timezone.now()

    reminder = services.schedule(user=user, weeks=6, now=now)

    assert reminder.due_at == now + timedelta(weeks=6)
    assert reminder.is_active
    assert selectors.active_reminder(user) == reminder


def test_asking_again_moves_the_date_of_the_one_active_reminder():
    user = UserFactory()
    now = timezone.now()
    first = services.schedule(user=user, weeks=6, now=now)

    again = services.schedule(user=user, weeks=12, now=now + timedelta(days=1))

    assert again.pk == first.pk and again.token == first.token
    assert again.due_at == now + timedelta(days=1, weeks=12)
    assert CheckReminder.objects.filter(user=user).count() == 1


def test_a_double_submit_leaves_one_reminder():
    user = UserFactory()

    services.schedule(user=user, weeks=6)
    services.schedule(user=user, weeks=6)

    assert CheckReminder.objects.filter(user=user).count() == 1


def test_after_a_reminder_was_sent_asking_again_makes_a_new_one():
    sent = ReminderFactory(sent_at=timezone.now())

    fresh = services.schedule(user=sent.user, weeks=4)

    assert fresh.pk != sent.pk and fresh.token != sent.token
    assert selectors.active_reminder(sent.user) == fresh


def test_the_database_refuses_a_second_active_reminder():
    reminder = ReminderFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderFactory(user=reminder.user)


def test_only_the_offered_numbers_of_weeks_are_accepted():
    with pytest.raises(ValueError):
        services.schedule(user=UserFactory(), weeks=3)


def test_cancelling_stops_the_active_reminder_only_of_that_user():
    mine, theirs = ReminderFactory(), ReminderFactory()

    assert services.cancel_for_user(user=mine.user) is True
    assert services.cancel_for_user(user=mine.user) is False  # nothing left to cancel

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.cancelled_at is not None
    assert theirs.is_active


def test_an_unsubscribe_token_stops_its_owners_reminders():
    old = ReminderFactory(sent_at=timezone.now())
    # An old e-mail's link: "unsubscribe" means no further reminder, so the active one goes.
    active = services.schedule(user=old.user, weeks=6)

    assert services.cancel_by_token(token=old.token) is True

    active.refresh_from_db()
    assert active.cancelled_at is not None
    assert services.cancel_by_token(token="not-a-token") is None


def test_tokens_are_long_and_random():
    tokens = {ReminderFactory().token for _ in range(5)}

    assert len(tokens) == 5
    assert all(len(token) >= 43 for token in tokens)  # 256 bits, URL-safe base64


def test_the_reminders_go_with_the_account():
    reminder = ReminderFactory()

    reminder.user.delete()

    assert not CheckReminder.objects.exists()
