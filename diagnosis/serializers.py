"""API shapes of a diagnosis, and the upload's input (the same checks as the web form)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from diagnosis.forms import SelfieUploadForm, training_consent_words
from diagnosis.ml.slots import SLOTS
from diagnosis.models import Diagnosis, DiagnosisPhoto
from diagnosis.uploads import ACCEPTED_HUMAN, UploadRejected, check_size, size_limits
from recommendations.models import SkinType

# The web form's wording, so both ways of uploading ask for consent alike.
PHOTO_FIELDS = (*SLOTS, "image")
CONSENT_REQUIRED = SelfieUploadForm.base_fields["consent"].error_messages["required"]


class ConsentField(serializers.BooleanField):
    """Only an explicit yes is consent; a missing, false, blank or garbled value is not."""

    def to_internal_value(self, data) -> bool:
        if data in self.TRUE_VALUES:
            return True
        raise serializers.ValidationError(CONSENT_REQUIRED, code="consent_required")


_PHOTO_RULES = (
    f"{ACCEPTED_HUMAN}, {size_limits()} (a larger request is refused with 413 before it is "
    f"read), {settings.DIAGNOSIS_MAX_PIXELS // 1_000_000} megapixels (a JPEG of one scan up to "
    f"{settings.DIAGNOSIS_MAX_JPEG_PIXELS // 1_000_000}: it is read reduced), at least "
    f"{settings.DIAGNOSIS_MIN_SIDE}×{settings.DIAGNOSIS_MIN_SIDE} pixels. EXIF orientation "
    "is applied and all metadata (GPS included) is removed before the photo is stored."
)
NO_PHOTO = (
    "Send at least one photo: in the multipart field `front` (or `image`, its older name), "
    "`left` or `right`."
)


def _photo_field(what: str, name: str) -> serializers.FileField:
    return serializers.FileField(
        required=False,
        # Empty files reach clean_selfie, so the API and the web page say the same thing.
        allow_empty_file=True,
        help_text=f"{what}: {_PHOTO_RULES}",
        error_messages={"invalid": f"Send the photo as a file in the multipart field `{name}`."},
    )


def _values(data, name: str) -> list:
    if hasattr(data, "getlist"):
        return data.getlist(name)
    return [data[name]] if name in data else []


class DiagnosisUploadSerializer(serializers.Serializer):
    """One to three photos of a check (each field once) and the shopper's consent."""

    front = _photo_field("The front photo, the face looking at the camera", "front")
    left = _photo_field("The left side of the face (the left cheek towards the camera)", "left")
    right = _photo_field("The right side of the face", "right")
    image = _photo_field("The front photo, under its older name (not with `front`)", "image")
    skin_type = serializers.ChoiceField(
        choices=SkinType.choices,
        required=False,
        allow_blank=True,
        help_text="Optional: the shopper's skin type; the check's routine follows the rules "
        "for it.",
    )
    consent = ConsentField(
        help_text="Must be true: the shopper agrees that SkinShop processes the photos to "
        "analyse their skin (the checkbox of the web form).",
    )
    training_consent = serializers.BooleanField(
        default=False,
        help_text="Consent to learn, false unless sent as true. " + training_consent_words(),
    )

    def to_internal_value(self, data):
        # Which photos were sent is settled before any of them is decoded: a request that
        # cannot be taken as it is costs no decoding.
        sent = {
            # An empty text value is what a form sends for a file it does not have: not sent.
            name: sum(value not in ("", None) for value in _values(data, name))
            for name in PHOTO_FIELDS
        }
        errors = {}
        for name, count in sent.items():
            if count > 1:
                errors[name] = [
                    serializers.ErrorDetail(
                        f"Send one photo in `{name}`, not {count}.", code="duplicate"
                    )
                ]
        if sent["image"] and sent["front"]:
            errors["image"] = [
                serializers.ErrorDetail(
                    "`image` is the older name of `front`: send the front photo in one of "
                    "them, not both.",
                    code="duplicate",
                )
            ]
        if not any(sent.values()):
            errors["non_field_errors"] = [serializers.ErrorDetail(NO_PHOTO, code="required")]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def _check_size(self, upload):
        """Only what costs nothing here; the photo is read once every field is good."""
        try:
            check_size(upload)
        except UploadRejected as rejected:
            raise serializers.ValidationError(rejected.message, code=rejected.code) from rejected
        return upload

    def validate_front(self, upload):
        return self._check_size(upload)

    def validate_left(self, upload):
        return self._check_size(upload)

    def validate_right(self, upload):
        return self._check_size(upload)

    def validate_image(self, upload):
        return self._check_size(upload)

    def uploads(self) -> dict:
        """Slot -> uploaded file, for valid data (``image`` is the front)."""
        data = self.validated_data
        uploads = {slot: data[slot] for slot in SLOTS if data.get(slot)}
        if data.get("image"):
            uploads["front"] = data["image"]
        return uploads

    def refusals(self, rejected: dict[str, UploadRejected]) -> dict:
        """The photos refused once read, each under the field it was sent in."""
        image = bool(self.validated_data.get("image"))
        return {
            ("image" if slot == "front" and image else slot): [
                serializers.ErrorDetail(refusal.message, code=refusal.code)
            ]
            for slot, refusal in rejected.items()
        }


class ScaleSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The grading scale, e.g. GEA.")
    labels = serializers.ListField(
        child=serializers.CharField(), help_text="The label of each grade, from grade 0 up."
    )


class ModelTermsSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="A data set the model learned from.")
    licence = serializers.CharField(help_text="Its terms of use.")
    commercial_use = serializers.BooleanField(help_text="Whether those terms allow selling.")


class ModelInfoSerializer(serializers.Serializer):
    name = serializers.CharField(source="model_name")
    version = serializers.CharField(source="model_version")
    training_data = ModelTermsSerializer(
        source="model_terms", many=True, help_text="What the model learned from, and the terms."
    )


def _photo_link(serializer, kind: str, photo: DiagnosisPhoto) -> str:
    # The media come through the permission-checked web views, never a storage URL.
    return reverse(
        f"diagnosis:photo_{kind}",
        args=[photo.diagnosis_id, photo.slot],
        request=serializer.context["request"],
    )


class ZoneSerializer(serializers.Serializer):
    zone = serializers.CharField(help_text="The face zone: forehead, nose, left_cheek, ...")
    label = serializers.CharField(help_text="Its name in plain words.")
    severity = serializers.FloatField(help_text="Its severity on the grading scale (0 up).")
    share = serializers.FloatField(
        required=False, help_text="The share of the photo's heatmap in this zone (0..1)."
    )
    slot = serializers.CharField(
        required=False, help_text="The photo this zone was judged on (combined zones only)."
    )
    outline = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        required=False,
        help_text="The zone's polygon, [[x, y], ...] in the stored photo's pixels.",
    )


class PhotoSerializer(serializers.ModelSerializer):
    """One photo of a check and the engine's result for it alone."""

    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="Probability of each grade, from grade 0 up; empty unless graded.",
    )
    face_box = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="[x, y, width, height] of the face in the stored photo; empty until read.",
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Remarks on the photo, e.g. slightly blurred.",
    )
    zones = ZoneSerializer(many=True, read_only=True, help_text="The face zones seen in it.")
    selfie_url = serializers.SerializerMethodField(
        help_text="The stored photo (JPEG), for its owner (session or the same token) and "
        "permitted staff only; 404 to anyone else."
    )
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A 128 px square of the photo's centre (JPEG), for lists; same rule."
    )
    heatmap_url = serializers.SerializerMethodField(
        help_text="The heatmap as a transparent PNG layer of the photo's size; null without one."
    )

    class Meta:
        model = DiagnosisPhoto
        fields = [
            "id",
            "slot",
            "status",
            "failure_code",
            "failure_reason",
            "grade",
            "label",
            "score",
            "probabilities",
            "confidence",
            "view",
            "face_box",
            "notes",
            "zones",
            "selfie_width",
            "selfie_height",
            "selfie_url",
            "thumbnail_url",
            "heatmap_url",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The photo's id (what a dermatologist's label names)."},
            "status": {"help_text": "pending until analysed, then done (graded) or failed."},
            "failure_reason": {"help_text": "Why this photo was not graded: what to retake."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_selfie_url(self, photo: DiagnosisPhoto) -> str:
        return _photo_link(self, "selfie", photo)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, photo: DiagnosisPhoto) -> str:
        return _photo_link(self, "thumbnail", photo)  # the selfie stands in without one

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_heatmap_url(self, photo: DiagnosisPhoto) -> str | None:
        return _photo_link(self, "heatmap", photo) if photo.heatmap else None


class DiagnosisSerializer(serializers.ModelSerializer):
    """A check while it waits (queued, processing) and once finished (done, failed): the
    combined result, and each photo's own in ``views``."""

    url = serializers.SerializerMethodField(help_text="This diagnosis in the API.")
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="Probability of each grade of the scale, from grade 0 up, as the deciding "
        "photo gives it; empty until done.",
    )
    scale = serializers.SerializerMethodField(help_text="The grading scale; null until done.")
    zones = ZoneSerializer(
        many=True,
        read_only=True,
        help_text="The face zones over all graded photos, most affected first; empty until done.",
    )
    views = PhotoSerializer(
        source="photos",
        many=True,
        read_only=True,
        help_text="Each photo of the check (front, left, right; those sent) with its own result.",
    )
    model = ModelInfoSerializer(
        source="*", read_only=True, help_text="The model that graded the photos; empty until done."
    )
    timings = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="Seconds per stage of the analysis; empty until done.",
    )
    # The fields of the single-photo API, kept for its clients: the first photo's (the front
    # one when sent). New clients read ``views``.
    face_box = serializers.SerializerMethodField(
        help_text="The first photo's face box, [x, y, width, height]; see `views`."
    )
    notes = serializers.SerializerMethodField(help_text="The first photo's notes; see `views`.")
    view = serializers.SerializerMethodField(
        help_text="How the first photo was read (frontal, profile, close-up); see `views`."
    )
    selfie_width = serializers.SerializerMethodField(help_text="The first photo's width.")
    selfie_height = serializers.SerializerMethodField(help_text="The first photo's height.")
    selfie_url = serializers.SerializerMethodField(
        help_text="The first photo (JPEG), owner and permitted staff only; see `views`."
    )
    thumbnail_url = serializers.SerializerMethodField(
        help_text="The first photo's 128 px thumbnail (JPEG); same rule."
    )
    heatmap_url = serializers.SerializerMethodField(
        help_text="The first photo's heatmap layer (PNG); null without one."
    )

    class Meta:
        model = Diagnosis
        fields = [
            "id",
            "url",
            "status",
            "failure_code",
            "failure_reason",
            "grade",
            "label",
            "score",
            "probabilities",
            "scale",
            "confidence",
            "combined_from",
            "skin_type",
            "zones",
            "views",
            "training_consent",
            "model",
            "timings",
            "face_box",
            "notes",
            "view",
            "selfie_width",
            "selfie_height",
            "selfie_url",
            "thumbnail_url",
            "heatmap_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "training_consent": {
                "help_text": "Whether the shop may learn from these photos (until withdrawn)."
            },
            "combined_from": {
                "help_text": "The photo whose grade is the check's (the worst graded side); "
                "empty until done."
            },
        }

    @extend_schema_field(ScaleSerializer(allow_null=True))
    def get_scale(self, instance: Diagnosis) -> dict | None:
        return instance.scale or None  # {} until the model has graded it

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, instance: Diagnosis) -> str:
        return reverse("api:diagnosis-detail", args=[instance.pk], request=self.context["request"])

    def _first(self, instance: Diagnosis) -> DiagnosisPhoto | None:
        return instance.first_photo

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_face_box(self, instance: Diagnosis) -> list[int]:
        first = self._first(instance)
        return list(first.face_box) if first else []

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_notes(self, instance: Diagnosis) -> list[str]:
        first = self._first(instance)
        return list(first.notes) if first else []

    @extend_schema_field(OpenApiTypes.STR)
    def get_view(self, instance: Diagnosis) -> str:
        first = self._first(instance)
        return first.view if first else ""

    @extend_schema_field(OpenApiTypes.INT)
    def get_selfie_width(self, instance: Diagnosis) -> int:
        first = self._first(instance)
        return first.selfie_width if first else 0

    @extend_schema_field(OpenApiTypes.INT)
    def get_selfie_height(self, instance: Diagnosis) -> int:
        first = self._first(instance)
        return first.selfie_height if first else 0

    @extend_schema_field(OpenApiTypes.URI)
    def get_selfie_url(self, instance: Diagnosis) -> str:
        return reverse("diagnosis:selfie", args=[instance.pk], request=self.context["request"])

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, instance: Diagnosis) -> str:
        return reverse("diagnosis:thumbnail", args=[instance.pk], request=self.context["request"])

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_heatmap_url(self, instance: Diagnosis) -> str | None:
        first = self._first(instance)
        if first is None or not first.heatmap:
            return None
        return reverse("diagnosis:heatmap", args=[instance.pk], request=self.context["request"])
