"""Celery tasks of the reminders app (beat runs them); the logic is in reminders.services."""

from celery import shared_task
from django.utils import timezone

from reminders import services


@shared_task(name="reminders.tasks.send_due_reminders", ignore_result=True)
def send_due_reminders() -> int:
    return services.send_due(timezone.now())
