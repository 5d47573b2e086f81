"""Forms of the cart and the checkout."""

from django import forms


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
