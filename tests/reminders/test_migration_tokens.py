"""Reminders stored with plain unsubscribe tokens keep only their hash: the link of an e-mail
already sent works until it expires; a reminder not sent yet gets its token when it is."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from reminders import selectors, services
from reminders.models import CheckReminder

BEFORE = [("reminders", "0001_initial")]
AFTER = [("reminders", "0002_unsubscribe_token_hash")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stored_tokens_become_hashes_and_sent_links_keep_working_until_they_expire():
    from tests.accounts.factories import UserFactory

    old_apps = _migrate(BEFORE)
    OldReminder = old_apps.get_model("reminders", "CheckReminder")
    now = timezone.now()
    recent, old, waiting = (UserFactory() for _ in range(3))
    OldReminder.objects.create(
        user_id=recent.pk, due_at=now, sent_at=now - timedelta(days=2), token="r" * 43
    )
    OldReminder.objects.create(
        user_id=old.pk, due_at=now, sent_at=now - timedelta(days=400), token="o" * 43
    )
    OldReminder.objects.create(user_id=waiting.pk, due_at=now, token="w" * 43)

    _migrate(AFTER)

    assert selectors.reminder_by_token("r" * 43).user == recent
    assert selectors.reminder_by_token("o" * 43) is None  # expired long ago
    assert selectors.reminder_by_token("w" * 43) is None  # never mailed: no link
    stored = set(CheckReminder.objects.values_list("token_hash", flat=True))
    assert not stored & {"r" * 43, "o" * 43, "w" * 43}
    assert services.cancel_by_token(token="r" * 43) is False  # sent: nothing left to cancel
