from django import forms

from recommendations.models import SkinType


class RoutineFilterForm(forms.Form):
    """The optional refinements of the routine page (``?skin_type=oily``)."""

    skin_type = forms.ChoiceField(
        choices=[("", "Any skin type"), *SkinType.choices], required=False
    )


class KitAddForm(forms.Form):
    """ "Add the whole kit": the rule the page showed, or the grade when it showed the default."""

    rule = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    grade = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    condition = forms.SlugField(required=False, widget=forms.HiddenInput)
    skin_type = forms.ChoiceField(
        choices=[("", ""), *SkinType.choices], required=False, widget=forms.HiddenInput
    )

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
