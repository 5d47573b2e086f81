"""Staff list reminders in the admin; the unsubscribe token is neither shown nor edited."""

import pytest
from django.urls import reverse

from reminders import services
from tests.accounts.factories import UserFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def test_staff_see_the_reminders_but_never_their_unsubscribe_token(client):
    reminder = ReminderFactory()
    token = services.issue_token(reminder)
    reminder.refresh_from_db()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:reminders_checkreminder_changelist"))
    change = client.get(reverse("admin:reminders_checkreminder_change", args=[reminder.pk]))

    assert listing.status_code == 200 and str(reminder.user) in listing.content.decode()
    assert change.status_code == 200
    for page in (listing.content.decode(), change.content.decode()):
        assert token not in page and reminder.token_hash not in page
    assert 'name="token' not in change.content.decode()
