"""The selfie upload form of the web page (the API uses the same checks in its serializer)."""

from django import forms

from diagnosis.uploads import ACCEPTED_HUMAN, UploadRejected, clean_selfie


class SelfieUploadForm(forms.Form):
    image = forms.FileField(
        label="Your selfie",
        help_text=f"{ACCEPTED_HUMAN}, up to 15 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
    )
    consent = forms.BooleanField(
        label="I agree that SkinShop processes this photo to analyse my skin. "
        "I can delete it, and its results, at any time.",
        error_messages={"required": "Please agree to the processing of your photo."},
    )

    def clean_image(self):
        """The storable selfie (a CleanSelfie) in place of the uploaded file."""
        try:
            return clean_selfie(self.cleaned_data["image"])
        except UploadRejected as rejected:
            raise forms.ValidationError(rejected.message, code=rejected.code) from rejected
