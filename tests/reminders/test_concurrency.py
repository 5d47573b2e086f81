"""Two beat ticks (or two workers) sending at once on the real PostgreSQL: the claim, not
luck, keeps every reminder to one e-mail."""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from reminders import services
from reminders.models import CheckReminder
from tests.reminders.factories import ReminderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 4
REMINDERS = 30


def test_concurrent_senders_send_each_reminder_exactly_once(mailoutbox):
    reminders = ReminderFactory.create_batch(REMINDERS)
    barrier = threading.Barrier(SENDERS)
    counts: list[int | str] = [0] * SENDERS

    def sender(index: int) -> None:
        try:
            barrier.wait()
            counts[index] = services.send_due()
        except Exception as error:  # noqa: BLE001 - asserted below
            counts[index] = f"error: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert all(isinstance(count, int) for count in counts), counts
    assert sum(counts) == REMINDERS
    recipients = Counter(address for message in mail.outbox for address in message.to)
    assert recipients == Counter(reminder.user.email for reminder in reminders)
    assert not CheckReminder.objects.filter(sent_at__isnull=True).exists()
