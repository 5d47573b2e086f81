"""Payment gateways: a small interface and an offline test gateway.

``get_gateway()`` builds the gateway named by ``settings.PAYMENT_GATEWAY``. A real provider
goes behind the same two calls (``charge``, ``refund``); the checkout never sees card details
beyond this module.

The test gateway behaves like a provider's sandbox: it approves or declines by the test card
number, so the whole checkout can be tried without a network.
"""

import datetime as dt
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
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


class PaymentGateway(ABC):
    name: str = "gateway"

    @abstractmethod
    def charge(
        self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str, description: str
    ) -> GatewayResult:
        """Take ``amount`` from the card. A declined card is a result, not an exception."""

    @abstractmethod
    def refund(self, *, reference: str, amount: Decimal, currency: str) -> GatewayResult:
        """Give back ``amount`` of the charge ``reference``."""


# --- Card checks shared by the checkout form, the API and the test gateway -----------------


def normalize_card_number(value: str) -> str:
    """Digits only: shoppers type spaces and dashes."""
    return "".join(ch for ch in value if ch not in " -")


def luhn_valid(number: str) -> bool:
    if not number.isdigit():
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
    if not number.isdigit() or not 12 <= len(number) <= 19:
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
    if not cvc.isdigit() or len(cvc) != length:
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

    def charge(
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
        return GatewayResult(approved=True, reference=f"test_ch_{secrets.token_hex(8)}")

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> GatewayResult:
        if not reference.startswith("test_ch_"):
            return GatewayResult(
                approved=False, decline_code="unknown_charge", message="Unknown charge."
            )
        return GatewayResult(approved=True, reference=f"test_re_{secrets.token_hex(8)}")


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()
