"""Forms of the cart and the checkout."""

from django import forms

from orders.countries import COUNTRY_CHOICES
from orders.payments import (
    Card,
    ascii_digits,
    card_number_error,
    cvc_error,
    expiry_error,
    normalize_card_number,
)
from orders.services.checkout import Address


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": "Enter a quantity.",
            "invalid": "Enter a whole number.",
            "min_value": "The quantity must be at least 1.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
    )


def _text(autocomplete: str, **attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, **attrs})


class CardInput(forms.TextInput):
    """A card field that never writes what was typed back into the page: after a decline or
    any form error the shopper types the number and code again, so they never sit in the HTML
    (browser caches, proxies, screenshots of the page)."""

    def format_value(self, value):
        return None


class CheckoutForm(forms.Form):
    """Contact, shipping address and card. Guests check out with their e-mail alone."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    email = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send the order confirmation here.",
    )
    full_name = forms.CharField(label="Full name", max_length=200, widget=_text("name"))
    address_line1 = forms.CharField(label="Address", max_length=200, widget=_text("address-line1"))
    address_line2 = forms.CharField(
        label="Address line 2 (optional)",
        max_length=200,
        required=False,
        widget=_text("address-line2"),
    )
    city = forms.CharField(max_length=100, widget=_text("address-level2"))
    postcode = forms.CharField(label="Postcode", max_length=20, widget=_text("postal-code"))
    country = forms.ChoiceField(
        choices=[("", "Choose a country")] + COUNTRY_CHOICES,
        widget=forms.Select(attrs={"autocomplete": "country-name"}),
        error_messages={"invalid_choice": "We do not ship to %(value)s; choose a country."},
    )

    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=CardInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "placeholder": "1234 1234 1234 1234",
            }
        ),
    )
    card_expiry = forms.CharField(
        label="Expiry (MM/YY)",
        max_length=7,
        widget=_text("cc-exp", placeholder="MM/YY"),
    )
    card_cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=4,
        widget=CardInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_card_number(self) -> str:
        number = normalize_card_number(self.cleaned_data["card_number"])
        problem = card_number_error(number)
        if problem:
            raise forms.ValidationError(problem)
        return number

    def clean_card_expiry(self) -> tuple[int, int]:
        month, year = parse_expiry(self.cleaned_data["card_expiry"])
        problem = expiry_error(month, year)
        if problem:
            raise forms.ValidationError(problem)
        return month, year

    def clean(self) -> dict:
        cleaned = super().clean()
        number, cvc = cleaned.get("card_number"), cleaned.get("card_cvc")
        if number and cvc is not None:
            problem = cvc_error(cvc.strip(), number)
            if problem:
                self.add_error("card_cvc", problem)
        return cleaned

    def card(self) -> Card:
        month, year = self.cleaned_data["card_expiry"]
        return Card(
            number=self.cleaned_data["card_number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["card_cvc"].strip(),
        )

    def address(self) -> Address:
        return Address.from_checkout(self.cleaned_data)


def parse_expiry(value: str) -> tuple[int, int]:
    """``MM/YY`` or ``MM/YYYY`` (spaces allowed) as (month, four-digit year)."""
    parts = [part.strip() for part in value.replace(" ", "").split("/")]
    if len(parts) != 2 or not all(map(ascii_digits, parts)) or len(parts[1]) not in (2, 4):
        raise forms.ValidationError("Enter the expiry date as MM/YY.")
    month, year = int(parts[0]), int(parts[1])
    return month, (2000 + year if year < 100 else year)
