"""A skin check: up to three photos of one face (front, left, right), its status through the
pipeline, each photo's own result and the combined result of the check."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models

from diagnosis.ml.slots import SLOTS
from recommendations.models import SkinType


def private_storage():
    """Selfies and heatmaps never go to the public media storage (see STORAGES["private"])."""
    return storages["private"]


def _photo_folder(instance: "DiagnosisPhoto") -> str:
    # The check's id is random (uuid4), so a path reveals nothing and cannot be guessed.
    return f"diagnoses/{instance.diagnosis_id}/{instance.slot}"


def _selfie_path(instance: "DiagnosisPhoto", filename: str) -> str:
    return f"{_photo_folder(instance)}/selfie.jpg"


def _thumbnail_path(instance: "DiagnosisPhoto", filename: str) -> str:
    return f"{_photo_folder(instance)}/thumb.jpg"


def _heatmap_path(instance: "DiagnosisPhoto", filename: str) -> str:
    return f"{_photo_folder(instance)}/heatmap.png"


class Diagnosis(models.Model):
    class Status(models.TextChoices):
        """Every move between these is listed, and made, in ``diagnosis.services``."""

        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The owner: an account, or the anonymous session holding ``guest_token`` until log-in.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="diagnoses",
    )
    guest_token = models.CharField(max_length=64, blank=True, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # What the shopper said of their skin at upload (blank: not said); rules may ask for one.
    skin_type = models.CharField(max_length=20, choices=SkinType.choices, blank=True)
    # Consent to learn, apart from the consent to analyse every check has: the photos may be
    # labelled by the shop's dermatologists and exported to build its model. Withdrawing it,
    # deleting the check or the account, or DIAGNOSIS_TRAINING_RETENTION_DAYS ends it.
    training_consent = models.BooleanField(
        default=False, help_text="The owner lets the shop learn from these photos."
    )
    training_consent_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.TextField(blank=True, help_text="Shown to the shopper.")
    attempts = models.PositiveSmallIntegerField(default=0)

    # The combined result: the deciding photo's grade (``combined_from``) over the check.
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    label = models.CharField(max_length=60, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Continuous severity.")
    probabilities = models.JSONField(default=list, blank=True)
    combined_from = models.CharField(
        max_length=10, blank=True, help_text="The photo (front, left, right) whose grade decided."
    )
    zones = models.JSONField(
        default=list,
        blank=True,
        help_text="Face zones over all graded photos, most affected first: "
        "{zone, label, severity, slot}.",
    )
    scale = models.JSONField(default=dict, blank=True, help_text="The model's grading scale.")
    model_name = models.CharField(max_length=100, blank=True)
    model_version = models.CharField(max_length=50, blank=True)
    model_terms = models.JSONField(
        default=list,
        blank=True,
        help_text="The data the model learned from and their terms of use (name, licence).",
    )
    confidence = models.FloatField(
        null=True, blank=True, help_text="Calibrated probability of the grade."
    )
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    # The registered model version that made the result (empty: the configured model file).
    model_release = models.ForeignKey(
        "ModelVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="diagnoses",
        help_text="The registered model version that made the result.",
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # While processing: the attempt's worker renews this; once it has passed, the worker is
    # taken for dead and the sweep puts the check back in the queue.
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "diagnoses"
        permissions = [
            ("view_selfie", "Can view shoppers' selfies and heatmaps"),
            ("requeue_diagnosis", "Can send failed diagnoses for analysis again"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Diagnosis {str(self.pk)[:8]} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def first_photo(self) -> "DiagnosisPhoto | None":
        """The front photo, or the first one sent: what a list or an old single link shows."""
        photos = list(self.photos.all())  # prefetched by lists
        return photos[0] if photos else None

    @property
    def wall_seconds(self) -> float | None:
        """Upload to result, as the shopper waited for it."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()


SLOT_LABELS = {"front": "Front", "left": "Left side", "right": "Right side"}


class DiagnosisPhoto(models.Model):
    """One photo of a check (a view of the face) and the engine's result for it alone."""

    # The shopper's sides, as the engine names them (zones.SLOTS: the one list). Alphabetical is
    # also the order the shop asks for them in: ordering by slot works.
    Slot = models.TextChoices("Slot", [(slot.upper(), (slot, SLOT_LABELS[slot])) for slot in SLOTS])

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Graded"
        FAILED = "failed", "Not graded"

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="photos")
    slot = models.CharField(max_length=10, choices=Slot.choices)

    selfie = models.ImageField(upload_to=_selfie_path, storage=private_storage)
    selfie_width = models.PositiveIntegerField(default=0)
    selfie_height = models.PositiveIntegerField(default=0)
    # A small square of the selfie for lists; empty on rows stored before thumbnails existed.
    thumbnail = models.ImageField(upload_to=_thumbnail_path, storage=private_storage, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.TextField(blank=True, help_text="Shown to the shopper.")

    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    label = models.CharField(max_length=60, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="Continuous severity.")
    probabilities = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(
        null=True, blank=True, help_text="Calibrated probability of the grade."
    )
    face_box = models.JSONField(default=list, blank=True, help_text="[x, y, w, h] in the selfie")
    notes = models.JSONField(default=list, blank=True)
    heatmap = models.ImageField(upload_to=_heatmap_path, storage=private_storage, blank=True)
    heatmap_coverage = models.FloatField(null=True, blank=True)
    view = models.CharField(
        max_length=20, blank=True, help_text="How the photo was read: frontal, profile, close-up."
    )
    zones = models.JSONField(
        default=list,
        blank=True,
        help_text="Face zones seen in this photo: {zone, label, share, severity, outline}.",
    )

    class Meta:
        ordering = ["diagnosis", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["diagnosis", "slot"], name="one_photo_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.get_slot_display()} photo of {self.diagnosis}"

    @property
    def files(self) -> list[str]:
        """The names of every file stored for this photo."""
        return [f.name for f in (self.selfie, self.thumbnail, self.heatmap) if f]


def _checkpoint_path(instance: "ModelVersion", filename: str) -> str:
    return f"models/{instance.sha256}.pt"


class ModelVersion(models.Model):
    """A checkpoint the shop has registered: its file (private storage), what it says of itself
    (metadata, terms), its card, its figures on the shop's held-out photos and its part now.
    At most one version is active (the workers' model) and at most one runs in shadow."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        SHADOW = "shadow", "Shadow"
        RETIRED = "retired", "Retired"

    checkpoint = models.FileField(upload_to=_checkpoint_path, storage=private_storage)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=50, help_text="The version the checkpoint states.")
    meta = models.JSONField(default=dict, help_text="The checkpoint's metadata.")
    terms = models.JSONField(
        default=list, help_text="The data it learned from and their terms: name, licence."
    )
    commercial_use = models.BooleanField(
        help_text="Whether every data set it learned from may be used commercially."
    )
    card = models.TextField(blank=True, help_text="The model card.")
    evaluation = models.JSONField(
        default=dict, blank=True, help_text="Figures on the shop's held-out labelled photos."
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.CANDIDATE, db_index=True
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who made it active last (empty: the command line).",
    )

    class Meta:
        ordering = ["-registered_at"]
        permissions = [("promote_modelversion", "Can make a model version the one in use")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_model"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="shadow"), name="one_shadow_model"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} {self.version} ({self.status})"


class ShadowResult(models.Model):
    """What a version running in shadow made of a check: kept for staff's comparison with the
    grade the shopper got, never shown to the shopper."""

    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.CASCADE, related_name="shadows")
    model_release = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="shadow_results"
    )
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    probabilities = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    failure_code = models.CharField(
        max_length=40, blank=True, help_text="Why it graded none of the photos."
    )
    photos = models.JSONField(default=list, help_text="Per photo: slot, grade or failure code.")
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnosis", "model_release"], name="one_shadow_result_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Shadow of {self.diagnosis} by {self.model_release}"
