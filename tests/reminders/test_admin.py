"""Staff list reminders in the admin; the unsubscribe token is shown, never edited."""

import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.reminders.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def test_staff_see_the_reminders_and_cannot_change_a_token(client):
    reminder = ReminderFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:reminders_checkreminder_changelist"))
    change = client.get(reverse("admin:reminders_checkreminder_change", args=[reminder.pk]))

    assert listing.status_code == 200 and str(reminder.user) in listing.content.decode()
    assert change.status_code == 200
    page = change.content.decode()
    assert reminder.token in page
    assert 'name="token"' not in page
