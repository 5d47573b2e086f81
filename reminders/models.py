import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

# Acne treatments are judged after 6 to 12 weeks of daily use: 6 is the suggestion.
WEEKS_CHOICES = [(weeks, f"{weeks} weeks") for weeks in (2, 4, 6, 8, 12)]
DEFAULT_WEEKS = 6


def new_token() -> str:
    # 256 random bits: the unsubscribe link works signed out, so the token is its only guard.
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps of an unsubscribe token: a leaked table or a look over staff's
    shoulder gives no working link. 256 random bits need no salt nor a slow hash."""
    return hashlib.sha256(token.encode()).hexdigest()


class CheckReminder(models.Model):
    """An e-mail, due ``weeks`` after the shopper asked, inviting them to check their skin again.

    A reminder is active until it is sent or cancelled; asking again moves the active one (the
    constraint keeps one active per user). Its e-mail carries an unsubscribe token minted when
    it is sent, kept only as a hash and valid for REMINDERS_UNSUBSCRIBE_DAYS; the row stays
    while that link works. The token acts on its own reminder only.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_reminders"
    )
    weeks = models.PositiveSmallIntegerField(choices=WEEKS_CHOICES, default=DEFAULT_WEEKS)
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the e-mail's unsubscribe link ends."
    )
    # A sender claims the row until this moment before it sends (see services.send_due), so two
    # beat ticks or workers never send the same reminder; a crashed sender's claim runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed sends so far.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
                name="reminders_one_active_per_user",
            ),
            # "" until the e-mail is sent.
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="reminders_unique_token_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.user} on {self.due_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.sent_at is None and self.cancelled_at is None
