"""The skin-check upload form of the web page: up to three photos (front, left, right), each
checked as the API checks it (diagnosis.uploads), and the shopper's consent.

The form checks what costs nothing (which photos, their sizes, consent); the view then has the
photos read (``services.accept_photos``) and reports a bad one with ``reject``. Nothing is
stored until every photo is good: a bad photo is reported next to its own view and the form
comes back, so a check never starts with a photo the shopper meant to replace.
"""

from django import forms
from django.conf import settings

from diagnosis.models import DiagnosisPhoto
from diagnosis.uploads import ACCEPTED_HUMAN, UploadRejected, check_size, size_limits
from recommendations.models import SkinType

Slot = DiagnosisPhoto.Slot

# What the page asks of each view, in the order it asks; the silhouettes are in the template.
VIEW_GUIDES = {
    Slot.FRONT: ("Front", "Look straight at the camera, your whole face in the frame."),
    Slot.LEFT: (
        "Left side",
        "Turn your head to the right to show your left cheek and jaw, ear towards the camera.",
    ),
    Slot.RIGHT: (
        "Right side",
        "Turn your head to the left to show your right cheek and jaw, ear towards the camera.",
    ),
}
NO_PHOTO = "Add at least one photo. The front one alone is enough; the sides show more."


def training_consent_words() -> str:
    """What consent to learn means, in the words the upload form and the API both use."""
    days = settings.DIAGNOSIS_TRAINING_RETENTION_DAYS
    return (
        "Optional, and apart from the analysis: the shop keeps these photos to improve its "
        "analysis. Only the shop's dermatologists see them, without your name or e-mail, to "
        "grade them, and the shop's model learns from those grades. They are kept for up to "
        f"{days} days. You can withdraw this at any time from your results; deleting the check "
        "or your account withdraws it too, and the photos are then never used again."
    )


def _photo_field(slot: str) -> forms.FileField:
    title, instruction = VIEW_GUIDES[slot]
    return forms.FileField(
        label=title,
        required=False,
        help_text=instruction,
        # No ``capture``: it would open only the camera on Android; the shopper may take a
        # photo or choose one from the library.
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class SelfieUploadForm(forms.Form):
    front = _photo_field(Slot.FRONT)
    left = _photo_field(Slot.LEFT)
    right = _photo_field(Slot.RIGHT)
    skin_type = forms.ChoiceField(
        label="Your skin type",
        choices=[("", "Not sure")] + SkinType.choices,
        required=False,
        help_text="Optional: some routines suit one skin type better than another.",
        widget=forms.RadioSelect,
    )
    consent = forms.BooleanField(
        label="I agree that SkinShop processes these photos to analyse my skin. "
        "I can delete them, and their results, at any time.",
        error_messages={"required": "Please agree to the processing of your photos."},
    )
    training_consent = forms.BooleanField(
        label="Also let the shop learn from these photos",
        label_suffix="",
        required=False,  # off unless the shopper ticks it
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["training_consent"].help_text = training_consent_words()

    @property
    def accepted(self) -> str:
        return f"{ACCEPTED_HUMAN}; {size_limits()}."

    @property
    def byte_limits(self) -> dict[str, int]:
        """For the page's script, which checks the sizes before anything is sent."""
        return {
            "photo": settings.DIAGNOSIS_MAX_UPLOAD_BYTES,
            "check": settings.DIAGNOSIS_MAX_CHECK_BYTES,
        }

    def _clean_photo(self, slot: str):
        upload = self.cleaned_data.get(slot)
        if not upload:
            return None
        try:
            check_size(upload)
        except UploadRejected as rejected:
            raise forms.ValidationError(rejected.message, code=rejected.code) from rejected
        return upload

    def clean_front(self):
        return self._clean_photo(Slot.FRONT)

    def clean_left(self):
        return self._clean_photo(Slot.LEFT)

    def clean_right(self):
        return self._clean_photo(Slot.RIGHT)

    def clean(self):
        cleaned = super().clean()
        sent = [slot for slot in Slot.values if slot in self.files]
        if not sent:
            self.add_error(Slot.FRONT, forms.ValidationError(NO_PHOTO, code="required"))
        return cleaned

    def uploads(self) -> dict:
        """Slot -> uploaded file, for a valid form (each still to be read)."""
        return {slot: self.cleaned_data[slot] for slot in Slot.values if self.cleaned_data[slot]}

    def reject(self, rejected: dict[str, UploadRejected]) -> None:
        """Reports each photo that was read and refused next to its own view."""
        for slot, refusal in rejected.items():
            self.add_error(slot, forms.ValidationError(refusal.message, code=refusal.code))

    def views(self):
        """Each view's field with what the page shows about it, in the order it asks."""
        for slot in Slot.values:
            field = self[slot]
            # A good photo of a form that came back with errors elsewhere was not kept: a
            # browser cannot refill a file input, so the page asks for it again.
            resend = self.is_bound and slot in self.files and not field.errors
            yield {"slot": slot, "field": field, "resend": resend}
