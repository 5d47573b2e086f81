"""API shapes of a diagnosis, and the upload's input (the same checks as the web form)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from diagnosis.forms import SelfieUploadForm
from diagnosis.models import Diagnosis
from diagnosis.uploads import ACCEPTED_HUMAN, UploadRejected, clean_selfie

# The web form's wording, so both ways of uploading ask for consent alike.
CONSENT_REQUIRED = SelfieUploadForm.base_fields["consent"].error_messages["required"]


class ConsentField(serializers.BooleanField):
    """Only an explicit yes is consent; a missing, false, blank or garbled value is not."""

    def to_internal_value(self, data) -> bool:
        if data in self.TRUE_VALUES:
            return True
        raise serializers.ValidationError(CONSENT_REQUIRED, code="consent_required")


class DiagnosisUploadSerializer(serializers.Serializer):
    image = serializers.FileField(
        # Empty files reach clean_selfie, so the API and the web page say the same thing.
        allow_empty_file=True,
        help_text=f"The selfie: {ACCEPTED_HUMAN}, up to "
        f"{settings.DIAGNOSIS_MAX_UPLOAD_BYTES // (1024 * 1024)} MB and "
        f"{settings.DIAGNOSIS_MAX_PIXELS // 1_000_000} megapixels, at least "
        f"{settings.DIAGNOSIS_MIN_SIDE}×{settings.DIAGNOSIS_MIN_SIDE} pixels. EXIF orientation "
        "is applied and all metadata (GPS included) is removed before the photo is stored.",
        error_messages={
            "required": "Send the photo in the multipart field `image`.",
            "invalid": "Send the photo as a file in the multipart field `image`.",
        },
    )
    consent = ConsentField(
        help_text="Must be true: the shopper agrees that SkinShop processes the photo to "
        "analyse their skin (the checkbox of the web form).",
    )

    def validate_image(self, upload):
        """The storable selfie (a CleanSelfie) in place of the uploaded file."""
        try:
            return clean_selfie(upload)
        except UploadRejected as rejected:
            raise serializers.ValidationError(rejected.message, code=rejected.code) from rejected


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


class DiagnosisSerializer(serializers.ModelSerializer):
    """A diagnosis while it waits (queued, processing) and once finished (done, failed)."""

    url = serializers.SerializerMethodField(help_text="This diagnosis in the API.")
    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="Probability of each grade of the scale, from grade 0 up; empty until done.",
    )
    scale = serializers.SerializerMethodField(help_text="The grading scale; null until done.")
    face_box = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="[x, y, width, height] of the face in the stored selfie; empty until done.",
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Remarks on the photo, e.g. slightly blurred.",
    )
    model = ModelInfoSerializer(
        source="*", read_only=True, help_text="The model that graded the selfie; empty until done."
    )
    timings = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="Seconds per stage of the analysis; empty until done.",
    )
    selfie_url = serializers.SerializerMethodField(
        help_text="The stored selfie (JPEG), for its owner (session or the same token) and "
        "permitted staff only; 404 to anyone else."
    )
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A 128 px square of the selfie's centre (JPEG), for lists; same rule."
    )
    heatmap_url = serializers.SerializerMethodField(
        help_text="The heatmap as a transparent PNG layer of the selfie's size; null without one."
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
            "face_box",
            "notes",
            "confidence",
            "view",
            "model",
            "timings",
            "selfie_width",
            "selfie_height",
            "selfie_url",
            "thumbnail_url",
            "heatmap_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ScaleSerializer(allow_null=True))
    def get_scale(self, instance: Diagnosis) -> dict | None:
        return instance.scale or None  # {} until the model has graded it

    def _link(self, viewname: str, instance: Diagnosis) -> str:
        return reverse(viewname, args=[instance.pk], request=self.context["request"])

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, instance: Diagnosis) -> str:
        return self._link("api:diagnosis-detail", instance)

    @extend_schema_field(OpenApiTypes.URI)
    def get_selfie_url(self, instance: Diagnosis) -> str:
        # The media come through the permission-checked web views, never a storage URL.
        return self._link("diagnosis:selfie", instance)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, instance: Diagnosis) -> str:
        return self._link("diagnosis:thumbnail", instance)  # the selfie stands in without one

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_heatmap_url(self, instance: Diagnosis) -> str | None:
        return self._link("diagnosis:heatmap", instance) if instance.heatmap else None
