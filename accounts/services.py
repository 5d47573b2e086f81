"""Writes of the accounts app."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token

from accounts.selectors import login_username
from orders.models import SavedAddress
from orders.selectors import ADDRESS_FIELDS, order_detail_queryset
from orders.services.checkout import Address, saved_address_save
from skinshop import errors, ratelimit
from skinshop.ratelimit import client_address

logger = logging.getLogger(__name__)


# --- Sign-up and account e-mails ------------------------------------------------------------
REQUEST_WINDOW_SECONDS = 3600
SIGNUPS_PER_ADDRESS = 10  # sign-up forms sent per hour from one address (IPv6: its /64)
PASSWORD_RESETS_PER_ADDRESS = 10  # reset requests per hour from one address
ACCOUNT_MAILS_PER_RECIPIENT = 3  # account e-mails per hour to one address: no mail flooding


TooManyRequests = errors.TooManyRequests


def check_request_rate(*, kind: str, address: str | None, limit: int) -> None:
    """Counts a sign-up or password-reset request of this address; ``TooManyRequests`` past
    ``limit`` an hour. Says nothing about any account."""
    bucket = ratelimit.address_bucket(address)
    if bucket and ratelimit.hit(f"{kind}:{bucket}", window_seconds=REQUEST_WINDOW_SECONDS) > limit:
        raise TooManyRequests(
            "Too many requests from your network this hour. Please try again later.",
            retry_after=ratelimit.seconds_left(REQUEST_WINDOW_SECONDS),
        )


def send_account_email(
    *, to: str, subject_template: str, body_template: str, context: dict
) -> bool:
    """Renders an account e-mail now and sends it from a Celery task once the transaction
    commits, so the answer to the request neither waits for the mail server nor tells by its
    timing whether a mail went out. At most ACCOUNT_MAILS_PER_RECIPIENT an hour reach one
    address; beyond, nothing is sent (and the shopper is told the same as always)."""
    recipient = to.strip().lower()
    count = ratelimit.hit(f"account-mail:{recipient}", window_seconds=REQUEST_WINDOW_SECONDS)
    if count > ACCOUNT_MAILS_PER_RECIPIENT:
        logger.info("Account e-mail to one address over the hourly limit: not sent")
        return False
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    transaction.on_commit(lambda: _dispatch_email(subject=subject, body=body, to=[to]))
    return True


def _dispatch_email(*, subject: str, body: str, to: list[str]) -> None:
    from accounts.tasks import send_email  # the task module is loaded by Celery, not here

    try:
        send_email.apply_async(kwargs={"subject": subject, "body": body, "to": to}, retry=False)
    except Exception:  # the broker is down: better a slow answer than a lost e-mail
        logger.warning("Could not queue an account e-mail; sending it now", exc_info=True)
        try:
            send_email.run(subject=subject, body=body, to=to)
        except OSError:
            logger.exception("Could not send an account e-mail")


@transaction.atomic
def signup_request(
    *,
    username: str,
    email: str,
    password: str,
    absolute: Callable[[str], str],
    next_url: str = "",
) -> None:
    """A sign-up, answered the same whether or not the e-mail has an account (the caller
    shows "check your inbox" either way):

    - a new address gets an inactive account and a link that confirms it and logs in;
    - an address with an account gets an e-mail saying so, with log-in and reset links;
    - an address held by an unconfirmed sign-up: the newest sign-up replaces it (only the
      address's owner can confirm, so no one can squat an address).

    ``absolute`` turns a path into an absolute URL (``request.build_absolute_uri``). The
    password is checked by the caller's form (validators).
    """
    User = get_user_model()
    email = User.objects.normalize_email(email)
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    context = {"shop_name": settings.SHOP_NAME}
    if existing is not None and (existing.is_active or existing.last_login):
        send_account_email(
            to=existing.email,
            subject_template="accounts/email/signup_exists_subject.txt",
            body_template="accounts/email/signup_exists_body.txt",
            context=context
            | {
                "user": existing,
                "login_url": absolute(reverse("accounts:login")),
                "reset_url": absolute(reverse("accounts:password_reset")),
            },
        )
        return
    if existing is not None:
        existing.delete()
    user = User(username=username, email=email, is_active=False)
    user.set_password(password)
    user.full_clean()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse("accounts:signup_confirm", args=[uid, default_token_generator.make_token(user)])
    if next_url:
        link += "?" + urlencode({"next": next_url})
    send_account_email(
        to=user.email,
        subject_template="accounts/email/signup_confirm_subject.txt",
        body_template="accounts/email/signup_confirm_body.txt",
        context=context | {"user": user, "confirm_url": absolute(link)},
    )


def signup_pending_user(*, uidb64: str, token: str):
    """The unconfirmed account a confirmation link names, if the link is valid; else None."""
    User = get_user_model()
    try:
        user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        return None
    if user.is_active or user.last_login or not default_token_generator.check_token(user, token):
        return None
    return user


def password_reset_user(*, uidb64: str, token: str):
    """The active account a password-reset link names, if the link is valid; else None."""
    User = get_user_model()
    try:
        user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode(), is_active=True)
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None


def signup_confirm(*, uidb64: str, token: str):
    """Activates the account of a valid confirmation link (once); None for an invalid one."""
    user = signup_pending_user(uidb64=uidb64, token=token)
    if user is not None:
        user.is_active = True
        user.save(update_fields=["is_active"])
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


class LoginThrottled(errors.TooManyRequests):
    code = "throttled"

    def __init__(self) -> None:
        super().__init__(
            LOGIN_THROTTLED_MESSAGE, retry_after=ratelimit.seconds_left(LOGIN_WINDOW_SECONDS)
        )


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
            raise LoginThrottled()
    return LoginAttempt(tuple(counted))


def login_authenticate(*, request, username: str, password: str):
    """The one door of every log-in (the shop's page, the admin's, the token API): the user
    whose username or e-mail and password these are, or None; ``LoginThrottled`` once the
    failed log-in limits are used up.

    The attempt is counted before the password is checked (``login_attempt``) and given back
    when it is right, so only failures count, whichever door they came through.
    """
    address = client_address(request) if request is not None else None
    attempt = login_attempt(username=username, address=address)
    user = authenticate(request, username=login_username(username), password=password)
    if user is not None:
        attempt.succeeded()
    return user


# --- The shopper's own data -----------------------------------------------------------------


@transaction.atomic
def account_update(
    *, user, first_name: str, last_name: str, email: str, address: Address | None
) -> None:
    """The shopper's name and e-mail, and the address their next checkout starts from
    (``None``: keep the saved one). The caller's form checked that the e-mail is free."""
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.email = get_user_model().objects.normalize_email(email)
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=["first_name", "last_name", "email"])
    if address is not None:
        saved_address_save(user=user, address=address)


def account_export(*, user) -> dict:
    """Everything the shop keeps about ``user``, as plain JSON data: the account, the saved
    address, the orders, and what each app named in ``ACCOUNTS_DATA_EXPORTS`` holds (skin
    checks, reminders)."""
    saved = SavedAddress.objects.filter(user=user).first()
    orders = order_detail_queryset().filter(user=user).order_by("created_at")
    data = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "saved_address": (
            {name: getattr(saved, name) for name in ADDRESS_FIELDS} if saved else None
        ),
        "orders": [_order_data(order) for order in orders],
    }
    for key, path in settings.ACCOUNTS_DATA_EXPORTS.items():
        data[key] = import_string(path)(user)
    return data


def _order_data(order) -> dict:
    return {
        "number": order.number,
        "created_at": order.created_at.isoformat(),
        "status": order.status,
        "email": order.email,
        "address": {name: getattr(order, name) for name in ADDRESS_FIELDS},
        "currency": order.currency,
        "total": str(order.total),
        "lines": [
            {
                "product": line.product_name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
            for line in order.lines.all()
        ],
        "payments": [
            {"kind": p.kind, "amount": str(p.amount), "card_last4": p.card_last4, "note": p.note}
            for p in order.payments.all()
        ],
    }


@transaction.atomic
def account_delete(*, user) -> None:
    """Delete ``user`` and what is theirs: skin checks with their photos and heatmaps (their
    files go with the rows), reminders, cart, saved address, API token. Orders stay, without
    the account, for the shop's accounts (bookkeeping law), and their e-mails still reach the
    address given at checkout."""
    user.delete()
