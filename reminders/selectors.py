"""Reads of the reminders app."""

from django.utils import timezone

from reminders.models import CheckReminder, hash_token


def active_reminders():
    """Reminders neither sent nor cancelled (at most one per user)."""
    return CheckReminder.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True)


def active_reminder(user) -> CheckReminder | None:
    if not user.is_authenticated:
        return None
    return active_reminders().filter(user=user).first()


def reminder_by_token(token: str) -> CheckReminder | None:
    """The reminder an e-mail's unsubscribe link names, sent or not; None for an unknown or
    expired token."""
    if not token:
        return None
    return (
        CheckReminder.objects.select_related("user")
        .filter(token_hash=hash_token(token), token_expires_at__gt=timezone.now())
        .first()
    )


def export_for_user(user) -> list[dict]:
    """The user's check reminders for their data export (``ACCOUNTS_DATA_EXPORTS``)."""
    reminders = CheckReminder.objects.filter(user=user).order_by("created_at")
    return [
        {
            "weeks": r.weeks,
            "due_at": r.due_at.isoformat(),
            "created_at": r.created_at.isoformat(),
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None,
        }
        for r in reminders
    ]
