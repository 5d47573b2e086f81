import datetime as dt
from decimal import Decimal

import pytest

from orders.payments import (
    Card,
    TestGateway,
    card_number_error,
    cvc_error,
    expiry_error,
    get_gateway,
    luhn_valid,
    normalize_card_number,
)
from tests.orders.factories import APPROVED, DECLINED, INSUFFICIENT_FUNDS, card

TODAY = dt.date(2026, 11, 28)


def charge(test_card: Card, amount: str = "10.00"):
    return TestGateway().charge(
        amount=Decimal(amount), currency="EUR", card=test_card, idempotency_key="k", description="t"
    )


@pytest.mark.parametrize(
    "number, valid",
    [
        ("4242424242424242", True),
        ("4242424242424241", False),
        ("79927398713", True),
        ("12a4", False),
    ],
)
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


def test_card_number_checks_length_digits_and_checksum():
    assert normalize_card_number("4242 4242-4242 4242") == APPROVED
    assert card_number_error(APPROVED) is None
    assert "12 to 19 digits" in card_number_error("4242")
    assert "not valid" in card_number_error("4242424242424241")


def test_expiry_is_valid_to_the_end_of_its_month():
    assert expiry_error(11, 2026, today=TODAY) is None
    assert expiry_error(10, 2026, today=TODAY) == "This card has expired."
    assert "between 01 and 12" in expiry_error(13, 2027, today=TODAY)


def test_cvc_length_depends_on_the_brand():
    assert cvc_error("123", APPROVED) is None
    assert "3 digits" in cvc_error("12", APPROVED)
    assert cvc_error("1234", "378282246310005") is None
    assert "4 digits" in cvc_error("123", "378282246310005")


def test_card_repr_hides_number_and_cvc():
    text = repr(card(APPROVED))
    assert APPROVED not in text and "123" not in text and "4242" in text


def test_test_gateway_approves_the_success_card_with_a_reference():
    result = charge(card(APPROVED))
    assert result.approved and result.reference.startswith("test_ch_")


@pytest.mark.parametrize(
    "number, code",
    [
        (DECLINED, "card_declined"),
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
        ("4111111111111111", "card_declined"),  # valid, but not a test card
        ("4242424242424241", "invalid_card"),  # fails the Luhn check
    ],
)
def test_test_gateway_declines_like_a_sandbox(number, code):
    result = charge(card(number))
    assert not result.approved and result.decline_code == code and result.message


def test_test_gateway_rejects_an_expired_card_and_a_bad_cvc():
    expired = Card(number=APPROVED, exp_month=1, exp_year=2020, cvc="123")
    assert charge(expired).decline_code == "invalid_card"
    assert charge(card(APPROVED, cvc="1")).decline_code == "invalid_card"


def test_test_gateway_refunds_its_own_charges_only():
    gateway = TestGateway()
    reference = charge(card(APPROVED)).reference
    assert gateway.refund(reference=reference, amount=Decimal("10.00"), currency="EUR").approved
    assert not gateway.refund(reference="ch_other", amount=Decimal("1"), currency="EUR").approved


def test_get_gateway_builds_the_configured_gateway(settings):
    settings.PAYMENT_GATEWAY = "orders.payments.TestGateway"
    assert isinstance(get_gateway(), TestGateway)


class RenamedTestGateway(TestGateway):
    """The sandbox under another dotted path: still refused where it is not allowed."""


def test_a_sandbox_gateway_is_refused_when_test_gateways_are_not_allowed(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.PAYMENT_GATEWAY = "tests.orders.test_payments.RenamedTestGateway"
    settings.PAYMENT_ALLOW_TEST_GATEWAY = False

    with pytest.raises(ImproperlyConfigured, match="takes no money"):
        get_gateway()


def test_the_gateway_interface_authorizes_then_captures_and_refunds_the_capture():
    gateway = TestGateway()
    authorization = gateway.authorize(
        amount=Decimal("10.00"), currency="EUR", card=card(), idempotency_key="k", description="t"
    )
    capture = gateway.capture(
        reference=authorization.reference, amount=Decimal("10.00"), currency="EUR",
        idempotency_key="k",
    )
    refund = gateway.refund(reference=capture.reference, amount=Decimal("10.00"), currency="EUR")

    assert authorization.approved and capture.approved and refund.approved


def test_a_webhook_is_read_only_with_a_valid_recent_signature(settings):
    import json
    import time

    from orders.payments import WebhookSignatureInvalid, sign_webhook

    settings.PAYMENT_WEBHOOK_SECRET = "whsec-test"
    body = json.dumps({"type": "charge.captured", "reference": "ch_1"}).encode()
    now = int(time.time())
    good = {"Payment-Signature": sign_webhook(body, secret="whsec-test", timestamp=now)}
    forged = {"Payment-Signature": sign_webhook(body, secret="guessed", timestamp=now)}
    stale = {"Payment-Signature": sign_webhook(body, secret="whsec-test", timestamp=now - 3600)}

    event = TestGateway().parse_webhook(body=body, headers=good)

    assert (event.type, event.reference) == ("charge.captured", "ch_1")
    for headers in (forged, stale, {}):
        with pytest.raises(WebhookSignatureInvalid):
            TestGateway().parse_webhook(body=body, headers=headers)
