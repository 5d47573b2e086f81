from django import forms

from reminders.models import DEFAULT_WEEKS, WEEKS_CHOICES


class ReminderForm(forms.Form):
    label_suffix = ""  # the label reads on into the choice: "... again in [6 weeks]"

    weeks = forms.TypedChoiceField(
        label="Remind me to check again in",
        choices=WEEKS_CHOICES,
        coerce=int,
        initial=DEFAULT_WEEKS,
    )
