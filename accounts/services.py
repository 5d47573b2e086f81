"""Writes of the accounts app."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.selectors import login_username
from skinshop import ratelimit


@transaction.atomic
def user_create(*, username: str, email: str, password: str):
    """A new shopper account. The password is checked by the caller's form (validators)."""
    User = get_user_model()
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def token_get_or_create(*, user) -> Token:
    """The user's API token: one per user, valid ``API_TOKEN_LIFETIME`` seconds from its
    creation (an expired one is replaced), revoked by a password change or reset and by
    logging out everywhere."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and token_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def token_expired(token: Token) -> bool:
    return token.created <= timezone.now() - timedelta(seconds=settings.API_TOKEN_LIFETIME)


def api_tokens_revoke(*, user) -> int:
    """Ends the user's API token(s): clients must log in again."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def log_out_everywhere(*, user) -> None:
    """Ends every session of the user on every device, and their API tokens."""
    User = get_user_model()
    User.objects.filter(pk=user.pk).update(auth_epoch=F("auth_epoch") + 1)
    user.refresh_from_db(fields=["auth_epoch"])
    api_tokens_revoke(user=user)


# --- Failed log-ins -------------------------------------------------------------------------
LOGIN_WINDOW_SECONDS = 15 * 60
# Per account and address: stops guessing one account's password without letting a stranger
# lock its owner out (a different address still gets in). Per address alone: stops one
# machine trying many accounts. Addresses count per IPv6 /64 (ratelimit.address_bucket).
LOGIN_FAILURES_PER_NAME_AND_ADDRESS = 5
LOGIN_FAILURES_PER_ADDRESS = 30
LOGIN_THROTTLED_MESSAGE = "Too many failed log-ins. Please wait 15 minutes, or reset your password."


class LoginThrottled(Exception):
    pass


def _login_counters(username: str, address: str | None) -> list[tuple[str, int]]:
    # The account, not what was typed: "alice" and "alice@example.com" share one counter.
    account = login_username(username).strip().lower()
    bucket = ratelimit.address_bucket(address)
    counters = [(f"login:{account}:{bucket}", LOGIN_FAILURES_PER_NAME_AND_ADDRESS)]
    if bucket:
        counters.append((f"login-addr:{bucket}", LOGIN_FAILURES_PER_ADDRESS))
    return counters


@dataclass(frozen=True)
class LoginAttempt:
    """A log-in attempt, counted before its password is checked."""

    counters: tuple[str, ...]

    def succeeded(self) -> None:
        """The password was right: the attempt is not a failure, give it back."""
        for name in self.counters:
            ratelimit.release(name, window_seconds=LOGIN_WINDOW_SECONDS)


def login_attempt(*, username: str, address: str | None) -> LoginAttempt:
    """Counts a log-in attempt against the failure limits *before* the password is checked,
    with the cache's atomic increment, so that parallel guesses cannot all pass a check made
    while none of them had failed yet. Raises ``LoginThrottled`` when a limit is used up
    (the password is then not checked at all); call ``succeeded()`` on a right password.
    """
    counted = []
    for name, limit in _login_counters(username, address):
        counted.append(name)
        if ratelimit.hit(name, window_seconds=LOGIN_WINDOW_SECONDS) > limit:
            raise LoginThrottled(LOGIN_THROTTLED_MESSAGE)
    return LoginAttempt(tuple(counted))
