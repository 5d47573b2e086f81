from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from reminders.models import CheckReminder
from tests.accounts.factories import UserFactory


class ReminderFactory(DjangoModelFactory):
    """An active reminder, due an hour ago unless told otherwise."""

    class Meta:
        model = CheckReminder

    user = factory.SubFactory(UserFactory)
    weeks = 6
    due_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
