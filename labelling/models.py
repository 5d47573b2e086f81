"""Dermatologists' labels of the photos shoppers let the shop learn from.

A label is one person's opinion of one photo: a GEA grade, or "cannot grade" with a reason,
and optional lesion marks (points, each with its type). The first opinions of a photo
(``LABELLING_OPINIONS``, two by default) are ``opinion``s; when they differ, a third
dermatologist's ``adjudication`` settles it (``labelling.selectors.settle``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from diagnosis.models import DiagnosisPhoto

# The scale labels are given on (the shop's scale: the engine's models grade on it too).
SCALE = {
    "name": "GEA",
    "labels": ["clear", "almost clear", "mild", "moderate", "severe", "very severe"],
}
GRADES = range(len(SCALE["labels"]))
DERMATOLOGISTS = "Dermatologists"  # the group whose members label (made by a migration)


class LesionType(models.TextChoices):
    PAPULE = "papule", "Papule"
    PUSTULE = "pustule", "Pustule"
    NODULE = "nodule", "Nodule"
    COMEDONE = "comedone", "Comedone"


class Label(models.Model):
    class Role(models.TextChoices):
        OPINION = "opinion", "Opinion"
        ADJUDICATION = "adjudication", "Adjudication (final)"

    class Reason(models.TextChoices):
        BLURRED = "blurred", "Blurred or out of focus"
        LIGHT = "light", "Too dark, too bright or coloured light"
        COVERED = "covered", "Skin hidden (hair, make-up, filter, glasses)"
        NOT_SKIN = "not_skin", "Not a face, or too little skin shown"
        OTHER = "other", "Another reason"

    photo = models.ForeignKey(DiagnosisPhoto, on_delete=models.CASCADE, related_name="labels")
    labeller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="labels"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.OPINION)
    grade = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="GEA 0-5; empty when the photo cannot be graded."
    )
    cannot_grade = models.CharField(max_length=10, choices=Reason.choices, blank=True)
    lesions = models.JSONField(
        default=list,
        blank=True,
        help_text="Lesion marks: {x, y, type}, x and y as fractions (0-1) of the stored photo.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["photo", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "labeller"], name="one_label_per_person_per_photo"
            ),
            models.CheckConstraint(
                condition=(
                    Q(grade__isnull=False, cannot_grade="")
                    | Q(grade__isnull=True) & ~Q(cannot_grade="")
                ),
                name="label_grade_or_reason",
            ),
            models.CheckConstraint(
                condition=Q(grade__isnull=True) | Q(grade__lte=len(GRADES) - 1),
                name="label_grade_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"Label of photo {self.photo_id} by {self.labeller_id}"
