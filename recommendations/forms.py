from django import forms

from recommendations.models import SkinType
from recommendations.services.zones import parse_zones


class ZonesField(forms.CharField):
    """A skin check's zone findings as ``chin:3.4,nose:1`` (``Recommendation.zones_text``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)

    def clean(self, value) -> list[dict]:
        try:
            return parse_zones(super().clean(value))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


class RoutineFilterForm(forms.Form):
    """The optional refinements of the routine page (``?skin_type=oily``, ``?zones=chin:3``)."""

    skin_type = forms.ChoiceField(
        choices=[("", "Any skin type"), *SkinType.choices], required=False
    )
    zones = ZonesField()


class KitAddForm(forms.Form):
    """ "Add the whole kit": the rule the page showed, or the grade when it showed the default."""

    rule = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    grade = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    condition = forms.SlugField(required=False, widget=forms.HiddenInput)
    skin_type = forms.ChoiceField(
        choices=[("", ""), *SkinType.choices], required=False, widget=forms.HiddenInput
    )
    # The shopper's own skin check, whose zone findings add to the kit (never typed zones).
    diagnosis = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("rule") is None and data.get("grade") is None:
            raise forms.ValidationError("Name a kit or a grade.")
        return data


class PreviewForm(forms.Form):
    """The admin preview's "what would a shopper get on this day, with this skin type"."""

    on = forms.DateField(required=False, label="On", widget=forms.DateInput(attrs={"type": "date"}))
    skin_type = forms.ChoiceField(
        choices=[("", "Any skin type"), *SkinType.choices], required=False
    )
