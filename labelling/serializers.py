"""API shapes of labelling: a label's input and answer, and the next photo to label."""

from rest_framework import serializers

from labelling.models import GRADES, Label, LesionType


class LesionSerializer(serializers.Serializer):
    x = serializers.FloatField(min_value=0, max_value=1, help_text="Across the photo, 0 to 1.")
    y = serializers.FloatField(min_value=0, max_value=1, help_text="Down the photo, 0 to 1.")
    type = serializers.ChoiceField(choices=LesionType.choices)


class LabelInputSerializer(serializers.Serializer):
    photo = serializers.IntegerField(help_text="The photo's id: a check's `views[].id`.")
    grade = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=GRADES[0],
        max_value=GRADES[-1],
        help_text="The GEA grade, 0 (clear) to 5 (very severe); leave out with `cannot_grade`.",
    )
    cannot_grade = serializers.ChoiceField(
        choices=Label.Reason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the photo cannot be graded, instead of a grade.",
    )
    lesions = LesionSerializer(many=True, required=False, default=list)


class LabelSerializer(serializers.ModelSerializer):
    model_grade = serializers.SerializerMethodField(
        help_text="The model's grade of the photo, shown once you have answered; null if none."
    )

    class Meta:
        model = Label
        fields = ["id", "photo", "role", "grade", "cannot_grade", "lesions", "model_grade"]
        read_only_fields = fields
        extra_kwargs = {
            "role": {"help_text": "opinion, or adjudication: the final grade of a dispute."}
        }

    def get_model_grade(self, label: Label) -> int | None:
        return label.photo.grade


class NextPhotoSerializer(serializers.Serializer):
    photo = serializers.IntegerField(source="pk", help_text="The id to label it with.")
    slot = serializers.CharField(help_text="front, left or right view of the face.")
    image_url = serializers.URLField(help_text="The photo (JPEG), for dermatologists only.")
    width = serializers.IntegerField(source="selfie_width")
    height = serializers.IntegerField(source="selfie_height")
    waiting = serializers.IntegerField(help_text="Photos waiting for you, this one included.")
