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

    assert again.pk == first.pk
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

    assert fresh.pk != sent.pk
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


def test_an_unsubscribe_token_stops_its_own_reminder():
    reminder = ReminderFactory()
    token = services.issue_token(reminder)

    assert services.cancel_by_token(token=token) is True

    reminder.refresh_from_db()
    assert reminder.cancelled_at is not None
    assert services.cancel_by_token(token="not-a-token") is None


@pytest.mark.parametrize("old_state", ["cancelled", "sent"])
def test_an_old_reminders_token_cannot_cancel_a_newer_one(old_state):
    old = ReminderFactory()
    token = services.issue_token(old)
    if old_state == "cancelled":
        services.cancel_for_user(user=old.user)
    else:
        CheckReminder.objects.filter(pk=old.pk).update(sent_at=timezone.now())
    newer = services.schedule(user=old.user, weeks=6)

    assert services.cancel_by_token(token=token) is False

    newer.refresh_from_db()
    assert newer.is_active


def test_tokens_are_long_random_one_per_reminder_and_stored_only_as_a_hash():
    reminder = ReminderFactory()
    first = services.issue_token(reminder)
    tokens = {first, *(services.issue_token(ReminderFactory()) for _ in range(4))}
    latest = services.issue_token(reminder)  # a retried send: the earlier link is void

    assert len(tokens) == 5
    assert all(len(token) >= 43 for token in tokens)  # 256 bits, URL-safe base64
    stored = CheckReminder.objects.values_list("token_hash", flat=True)
    assert not {first, latest} & set(stored)
    assert all(len(value) == 64 for value in stored)
    assert selectors.reminder_by_token(first) is None
    assert selectors.reminder_by_token(latest) == reminder


def test_an_unsubscribe_token_expires(settings):
    settings.REMINDERS_UNSUBSCRIBE_DAYS = 30
    reminder = ReminderFactory()
    token = services.issue_token(reminder, now=timezone.now() - timedelta(days=31))

    assert selectors.reminder_by_token(token) is None
    assert services.cancel_by_token(token=token) is None
    reminder.refresh_from_db()
    assert reminder.is_active


def test_scheduling_and_cancelling_again_and_again_keeps_a_few_rows_per_account():
    user = UserFactory()
    for _ in range(30):
        services.schedule(user=user, weeks=6)
        services.cancel_for_user(user=user)
    # A sent reminder keeps its row while its e-mail's link works, and only then.
    sent = services.schedule(user=user, weeks=6)
    CheckReminder.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    services.issue_token(sent)
    services.schedule(user=user, weeks=6)

    assert CheckReminder.objects.filter(user=user).count() == 2
    assert CheckReminder.objects.filter(pk=sent.pk).exists()


def test_the_reminders_go_with_the_account():
    reminder = ReminderFactory()

    reminder.user.delete()

    assert not CheckReminder.objects.exists()
