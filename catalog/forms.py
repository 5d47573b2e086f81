from django import forms

from catalog.models import Category
from catalog.selectors import DEFAULT_SORT, SORT_OPTIONS


class ProductFilterForm(forms.Form):
    """The storefront's search, category filter and sort order, read from the query string.

    The category choices come from the categories the page already lists, so validating
    the filter costs no query of its own.
    """

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Product, brand or ingredient"}
        ),
    )
    category = forms.ChoiceField(label="Category", required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(option.key, option.label) for option in SORT_OPTIONS],
        initial=DEFAULT_SORT,
    )

    def __init__(self, *args, categories: list[Category], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [
            (category.slug, category.name) for category in categories
        ]
