"""Writes of the reminders app: scheduling, cancelling and sending check reminders."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reminders import selectors
from reminders.models import WEEKS_CHOICES, CheckReminder, hash_token, new_token

logger = logging.getLogger(__name__)

ALLOWED_WEEKS = frozenset(weeks for weeks, _ in WEEKS_CHOICES)
# How long a sender owns a reminder it claimed. Longer than a mail server may take to answer,
# so a slow send is not claimed and sent a second time; a crashed sender's claim runs out.
CLAIM_SECONDS = 15 * 60
# Reminders looked at per tick; the rest wait for the next one.
BATCH_SIZE = 500


@transaction.atomic
def schedule(*, user, weeks: int, now: datetime | None = None) -> CheckReminder:
    """The user's reminder, due ``weeks`` from now. Asking again moves the active reminder's
    date (same row, same unsubscribe link) instead of adding a second one."""
    if weeks not in ALLOWED_WEEKS:
        raise ValueError(f"weeks must be one of {sorted(ALLOWED_WEEKS)}, not {weeks!r}")
    now = now or timezone.now()
    due_at = now + timedelta(weeks=weeks)
    # The user's row lock serializes two submits of the form: the second finds the first's
    # reminder and moves it, instead of tripping the one-active-reminder constraint.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    reminder = selectors.active_reminders().filter(user=user).first()
    if reminder is None:
        _forget_unreachable(user=user, now=now)
        return CheckReminder.objects.create(user=user, weeks=weeks, due_at=due_at)
    # A sender holding the old date's claim will not mark the moved reminder sent (see _send).
    reminder.weeks = weeks
    reminder.due_at = due_at
    reminder.claimed_until = None
    reminder.attempts = 0
    reminder.save(update_fields=["weeks", "due_at", "claimed_until", "attempts"])
    return reminder


def _forget_unreachable(*, user, now: datetime) -> None:
    """Deletes the user's past reminders no e-mail link can reach any more (cancelled before
    sending, or sent with an expired unsubscribe link), so scheduling and cancelling again
    and again keeps a few rows per account, not one per click."""
    CheckReminder.objects.filter(user=user).exclude(
        sent_at__isnull=True, cancelled_at__isnull=True
    ).exclude(token_expires_at__gt=now).delete()


def cancel_for_user(*, user, now: datetime | None = None) -> bool:
    """Cancels the user's active reminder; False when there was none."""
    cancelled = (
        selectors.active_reminders()
        .filter(user=user)
        .update(cancelled_at=now or timezone.now(), claimed_until=None)
    )
    return cancelled > 0


def cancel_by_token(*, token: str, now: datetime | None = None) -> bool | None:
    """What an e-mail's unsubscribe link does: cancels the reminder it was minted for, if that
    one is still active, and nothing else: a reminder the shopper asked for later is theirs to
    keep. None for an unknown or expired token; else whether a reminder was cancelled."""
    reminder = selectors.reminder_by_token(token)
    if reminder is None:
        return None
    cancelled = (
        selectors.active_reminders()
        .filter(pk=reminder.pk)
        .update(cancelled_at=now or timezone.now(), claimed_until=None)
    )
    return cancelled > 0


def issue_token(reminder: CheckReminder, *, now: datetime | None = None) -> str:
    """A new unsubscribe token for ``reminder``'s e-mail, replacing any earlier one (one per
    reminder): the token itself goes into the e-mail only, the row keeps its hash and when
    it expires."""
    token = new_token()
    expires = (now or timezone.now()) + timedelta(days=settings.REMINDERS_UNSUBSCRIBE_DAYS)
    CheckReminder.objects.filter(pk=reminder.pk).update(
        token_hash=hash_token(token), token_expires_at=expires
    )
    return token


# --- Sending --------------------------------------------------------------------------------
def absolute_url(path: str) -> str:
    """An e-mail's link: sent from a beat task, there is no request to build it from."""
    return settings.SITE_URL.rstrip("/") + path


def reminder_email(reminder: CheckReminder, *, token: str) -> EmailMultiAlternatives:
    """The reminder e-mail: plain text and HTML, with a one-click unsubscribe (RFC 8058)
    carrying ``token`` (``issue_token``)."""
    user = reminder.user
    unsubscribe_url = absolute_url(reverse("reminders:unsubscribe", args=[token]))
    context = {
        "shop_name": settings.SHOP_NAME,
        "name": user.first_name or user.get_username(),
        "weeks": reminder.weeks,
        "check_url": absolute_url(reverse("diagnosis:upload")),
        "history_url": absolute_url(reverse("diagnosis:history")),
        "unsubscribe_url": unsubscribe_url,
    }
    subject = " ".join(render_to_string("reminders/email/reminder_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject,
        render_to_string("reminders/email/reminder_body.txt", context),
        None,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",  # no out-of-office replies
        },
    )
    message.attach_alternative(
        render_to_string("reminders/email/reminder_body.html", context), "text/html"
    )
    return message


def _claimable(now: datetime):
    # Conditions on the reminder's own columns only: PostgreSQL re-checks them on the row a
    # concurrent sender has just claimed (a join or subquery would be checked on the old
    # snapshot, and both senders would win).
    return CheckReminder.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        sent_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__lte=now,
        attempts__lt=settings.REMINDERS_MAX_ATTEMPTS,
    )


def send_due(now: datetime | None = None) -> int:
    """Sends every reminder due by ``now``, each once, even when two beat ticks or two workers
    run this at once: a sender first claims a reminder with one conditional UPDATE, and only
    the one that changed the row sends. A failed send is logged and released for the next
    tick (up to REMINDERS_MAX_ATTEMPTS). Returns how many were sent."""
    now = now or timezone.now()
    if not settings.SITE_URL:
        logger.error("SITE_URL is not set: reminder e-mails would carry no working links")
        return 0
    due = (
        _claimable(now)
        .filter(user__is_active=True)
        .exclude(user__email="")
        .order_by("due_at")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )
    sent = 0
    for pk in list(due):
        claim = now + timedelta(seconds=CLAIM_SECONDS)
        if _claimable(now).filter(pk=pk).update(claimed_until=claim) == 1:
            sent += _send(pk, now)
    return sent


def _send(pk: int, now: datetime) -> bool:
    reminder = CheckReminder.objects.select_related("user").get(pk=pk)
    user = reminder.user
    if not (user.is_active and user.email):  # changed since the list was read
        CheckReminder.objects.filter(pk=pk).update(claimed_until=None)
        return False
    try:
        reminder_email(reminder, token=issue_token(reminder, now=now)).send()
    except Exception:  # a mail server down or refusing: the next tick tries again
        attempts = reminder.attempts + 1
        logger.exception(
            "Could not send check reminder %s (attempt %s of %s)",
            pk,
            attempts,
            settings.REMINDERS_MAX_ATTEMPTS,
        )
        if attempts >= settings.REMINDERS_MAX_ATTEMPTS:
            logger.error("Giving up on check reminder %s after %s attempts", pk, attempts)
        CheckReminder.objects.filter(pk=pk).update(claimed_until=None, attempts=F("attempts") + 1)
        return False
    # due_at__lte: a reminder the shopper moved to a later date while this one was sending
    # stays active for the new date.
    CheckReminder.objects.filter(pk=pk, sent_at__isnull=True, due_at__lte=now).update(
        sent_at=now, claimed_until=None
    )
    return True
