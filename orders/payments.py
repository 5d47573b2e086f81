"""Payment gateways: the interface a provider plugs into, and an offline test gateway.

``get_gateway()`` builds the gateway named by ``settings.PAYMENT_GATEWAY``. The checkout never
sees card details beyond this module. A real provider implements ``PaymentGateway``:

- ``authorize`` reserves the amount on the card (a decline is a result, not an exception);
- ``capture`` takes an authorized amount; ``charge`` (what the checkout calls) is authorize
  then capture unless the provider does both in one call;
- ``refund`` gives back (part of) a captured charge;
- ``parse_webhook`` turns a provider's notification into a ``WebhookEvent`` after checking
  its signature (``verify_webhook_signature``: HMAC-SHA256 of ``"<timestamp>.<body>"`` with
  ``settings.PAYMENT_WEBHOOK_SECRET``, and a timestamp no older than the tolerance), raising
  ``WebhookSignatureInvalid`` otherwise, so a forged "paid" never reaches an order.

Every call passes the shop's idempotency key where the provider takes one.

The test gateway behaves like a provider's sandbox: it approves or declines by the test card
number, so the whole checkout can be tried without a network. It takes no money, so production
refuses it unless ``PAYMENT_ALLOW_TEST_GATEWAY`` says otherwise (settings and ``get_gateway``).
"""

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Card:
    number: str  # digits only
    exp_month: int
    exp_year: int  # four digits
    cvc: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return card_brand(self.number)

    def __repr__(self) -> str:  # never leak the number or the CVC into logs or tracebacks
        return f"Card(brand={self.brand!r}, last4={self.last4!r})"


@dataclass(frozen=True)
class GatewayResult:
    approved: bool
    reference: str = ""
    decline_code: str = ""
    message: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A provider's notification, once its signature is checked: e.g. ``charge.captured``."""

    type: str
    reference: str
    data: dict


class WebhookSignatureInvalid(Exception):
    """The notification is not signed with the shop's webhook secret (or is too old)."""


WEBHOOK_TOLERANCE_SECONDS = 300


def sign_webhook(body: bytes, *, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook_signature(
    body: bytes, header: str, *, secret: str, now: float | None = None
) -> None:
    """Check a ``t=<unix time>,v1=<hex HMAC-SHA256>`` signature header; raise if it is wrong."""
    if not secret:
        raise WebhookSignatureInvalid("No webhook secret is configured.")
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        raise WebhookSignatureInvalid("The signature header is malformed.") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookSignatureInvalid("The notification is too old.")
    expected = sign_webhook(body, secret=secret, timestamp=timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise WebhookSignatureInvalid("The signature does not match.")


class PaymentGateway(ABC):
    name: str = "gateway"
    # A sandbox takes no money: production refuses it unless explicitly allowed.
    sandbox: bool = False
    # What a shopper may type in a sandbox (test card numbers); never shown in production.
    sandbox_note: str = ""

    @abstractmethod
    def authorize(
        self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str, description: str
    ) -> GatewayResult:
        """Reserve ``amount`` on the card. A declined card is a result, not an exception."""

    @abstractmethod
    def capture(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        """Take ``amount`` of the authorization ``reference``."""

    @abstractmethod
    def refund(self, *, reference: str, amount: Decimal, currency: str) -> GatewayResult:
        """Give back ``amount`` of the charge ``reference``."""

    def charge(
        self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str, description: str
    ) -> GatewayResult:
        """Take ``amount`` from the card: authorize, then capture. A decline is a result."""
        authorization = self.authorize(
            amount=amount,
            currency=currency,
            card=card,
            idempotency_key=idempotency_key,
            description=description,
        )
        if not authorization.approved:
            return authorization
        return self.capture(
            reference=authorization.reference,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
        )

    def parse_webhook(self, *, body: bytes, headers) -> WebhookEvent:
        """The event a provider's notification carries, once its signature checks out.

        The default reads a JSON body ``{"type": ..., "reference": ..., "data": {...}}`` signed
        in the ``Payment-Signature`` header; a provider with its own format overrides this.
        """
        verify_webhook_signature(
            body, headers.get("Payment-Signature", ""), secret=settings.PAYMENT_WEBHOOK_SECRET
        )
        payload = json.loads(body)
        return WebhookEvent(
            type=str(payload.get("type", "")),
            reference=str(payload.get("reference", "")),
            data=payload.get("data") or {},
        )


# --- Card checks shared by the checkout form, the API and the test gateway -----------------


def ascii_digits(value: str) -> bool:
    """Only 0-9: ``str.isdigit`` also accepts "²" or "①", which ``int`` then refuses."""
    return value.isascii() and value.isdigit()


def normalize_card_number(value: str) -> str:
    """Digits only: shoppers type spaces and dashes."""
    return "".join(ch for ch in value if ch not in " -")


def luhn_valid(number: str) -> bool:
    if not ascii_digits(number):
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "American Express"
    return "Card"


def card_number_error(number: str) -> str | None:
    """Why ``number`` (digits only) cannot be a card number, or None."""
    if not ascii_digits(number) or not 12 <= len(number) <= 19:
        return "Enter the card number: 12 to 19 digits."
    if not luhn_valid(number):
        return "This card number is not valid; check it for typos."
    return None


def expiry_error(exp_month: int, exp_year: int, *, today: dt.date | None = None) -> str | None:
    """Why the expiry date is unusable, or None. A card is valid to the end of its month."""
    today = today or timezone.localdate()
    if not 1 <= exp_month <= 12:
        return "The expiry month must be between 01 and 12."
    if (exp_year, exp_month) < (today.year, today.month):
        return "This card has expired."
    if exp_year > today.year + 20:
        return "The expiry year is too far in the future."
    return None


def cvc_error(cvc: str, number: str) -> str | None:
    length = 4 if card_brand(number) == "American Express" else 3
    if not ascii_digits(cvc) or len(cvc) != length:
        return f"The security code (CVC) is {length} digits."
    return None


# --- The offline test gateway ---------------------------------------------------------------

# Test card numbers, as payment sandboxes document them. Any other valid number is declined.
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("", "Approved."),
    "5555555555554444": ("", "Approved."),
    "378282246310005": ("", "Approved."),
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
}


class TestGateway(PaymentGateway):
    """Approves or declines by test card number; no network, no money."""

    __test__ = False  # not a pytest test class, whatever its name says
    name = "test"
    sandbox = True
    sandbox_note = (
        "Test payments only: 4242 4242 4242 4242 is approved, 4000 0000 0000 0002 is declined, "
        "4000 0000 0000 9995 has insufficient funds. Any future expiry date and any 3-digit code."
    )

    def authorize(
        self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str, description: str
    ) -> GatewayResult:
        problem = (
            card_number_error(card.number)
            or expiry_error(card.exp_month, card.exp_year)
            or cvc_error(card.cvc, card.number)
        )
        if problem:
            return GatewayResult(approved=False, decline_code="invalid_card", message=problem)
        if amount <= 0:
            return GatewayResult(
                approved=False, decline_code="invalid_amount", message="Nothing to charge."
            )
        code, message = TEST_CARDS.get(
            card.number,
            ("card_declined", "Your card was declined: the test gateway accepts test cards only."),
        )
        if code:
            return GatewayResult(approved=False, decline_code=code, message=message)
        return GatewayResult(approved=True, reference=f"test_au_{secrets.token_hex(8)}")

    def capture(
        self, *, reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        if not reference.startswith("test_au_"):
            return GatewayResult(
                approved=False, decline_code="unknown_authorization", message="Unknown payment."
            )
        return GatewayResult(approved=True, reference=f"test_ch_{reference[8:]}")

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> GatewayResult:
        if not reference.startswith("test_ch_"):
            return GatewayResult(
                approved=False, decline_code="unknown_charge", message="Unknown charge."
            )
        return GatewayResult(approved=True, reference=f"test_re_{secrets.token_hex(8)}")


def get_gateway() -> PaymentGateway:
    gateway = import_string(settings.PAYMENT_GATEWAY)()
    if gateway.sandbox and not settings.PAYMENT_ALLOW_TEST_GATEWAY:
        # The settings refuse the test gateway by name; this catches it under another name.
        raise ImproperlyConfigured(
            f"{settings.PAYMENT_GATEWAY} takes no money: set PAYMENT_GATEWAY to a real provider "
            "(or PAYMENT_ALLOW_TEST_GATEWAY=true for a staging shop)."
        )
    return gateway


def public_sandbox_note() -> str:
    """The sandbox's test cards, for the checkout page and the API docs; empty in production."""
    if settings.IS_PRODUCTION:
        return ""
    gateway_class = import_string(settings.PAYMENT_GATEWAY)
    return gateway_class.sandbox_note if gateway_class.sandbox else ""
