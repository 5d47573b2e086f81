"""Staff view of diagnoses: status, results, each photo's own result, model and timings;
read-only.

Selfies and heatmaps are shoppers' faces: they are shown (through the same permission-checked
media views the shop uses) only to staff holding ``diagnosis.view_selfie``, and the file fields
themselves are never rendered, since a storage URL would bypass that check.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from diagnosis import services
from diagnosis.models import Diagnosis, DiagnosisPhoto
from diagnosis.selectors import VIEW_SELFIE_PERMISSION

RESULT_FIELDS = [
    "id",
    "status",
    "failure_code",
    "failure_reason",
    "attempts",
    "grade",
    "label",
    "score",
    "probabilities",
    "confidence",
    "combined_from",
    "zones",
    "scale",
    "model_name",
    "model_version",
    "timings",
]
# Never the guest token itself: it is the anonymous owner's bearer secret (whoever holds it
# sees the diagnosis and its selfie), so staff see only whether there is one.
OWNER_FIELDS = ["user", "guest_owner", "client_address", "training_consent", "training_consent_at"]
TIME_FIELDS = ["created_at", "enqueued_at", "started_at", "finished_at"]
PHOTO_FIELDS = [
    "slot",
    "status",
    "failure_code",
    "failure_reason",
    "grade",
    "label",
    "score",
    "confidence",
    "view",
    "face_box",
    "notes",
    "heatmap_coverage",
    "zones",
    "selfie_width",
    "selfie_height",
]


def _seconds(value) -> str:
    return "–" if value is None else f"{value:.1f} s"


def selfie_preview(photo: DiagnosisPhoto) -> str:
    args = [photo.diagnosis_id, photo.slot]
    selfie = reverse("diagnosis:photo_selfie", args=args)
    if not photo.heatmap:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">'
            '<img src="{}" alt="Selfie" width="240" style="border-radius: 8px"></a>',
            selfie,
            selfie,
        )
    heatmap = reverse("diagnosis:photo_heatmap", args=args)
    # The heatmap is a transparent layer of the selfie's size: stacked, they line up.
    return format_html(
        '<div style="position: relative; width: 240px">'
        '<img src="{}" alt="Selfie" width="240" style="display: block; border-radius: 8px">'
        '<img src="{}" alt="Heatmap" width="240" '
        'style="position: absolute; inset: 0; opacity: .7; border-radius: 8px"></div>'
        '<p><a href="{}" target="_blank" rel="noopener">Selfie</a> · '
        '<a href="{}" target="_blank" rel="noopener">Heatmap layer</a></p>',
        selfie,
        heatmap,
        selfie,
        heatmap,
    )


class PhotoInline(admin.StackedInline):
    """Each photo of the check with its own result, read-only; the picture itself only for
    staff holding the selfie permission."""

    model = DiagnosisPhoto
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Part of the check: whoever may view the check sees its photos' results.
        return request.user.has_perm("diagnosis.view_diagnosis")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _may_see_selfies(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_SELFIE_PERMISSION)

    def get_fields(self, request: HttpRequest, obj=None):
        return [*PHOTO_FIELDS, "preview"] if self._may_see_selfies(request) else PHOTO_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="selfie and heatmap")
    def preview(self, obj: DiagnosisPhoto) -> str:
        return selfie_preview(obj)


class FailureReasonFilter(admin.SimpleListFilter):
    """Failed checks by why they failed (no face, too dark, timeout...): the codes that
    occur, so a new kind of failure shows up without a code change."""

    title = "failure reason"
    parameter_name = "failure"

    def lookups(self, request: HttpRequest, model_admin):
        codes = (
            Diagnosis.objects.exclude(failure_code="")
            .order_by("failure_code")
            .values_list("failure_code", flat=True)
            .distinct()
        )
        return [(code, code.replace("_", " ").capitalize()) for code in codes]

    def queryset(self, request: HttpRequest, queryset):
        if self.value():
            return queryset.filter(failure_code=self.value())
        return queryset


@admin.register(Diagnosis)
class DiagnosisAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "created_at",
        "owner",
        "status",
        "grade_display",
        "model_display",
        "attempts",
        "total_time",
        "wall_time",
    ]
    list_filter = ["status", FailureReasonFilter, "grade", "model_version", "training_consent"]
    actions = ["requeue_failed"]
    search_fields = ["id", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [PhotoInline]
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a diagnosis comes only from a shopper's upload

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # results are the model's: staff read them, never edit them

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = [
            ("Result", {"fields": RESULT_FIELDS}),
            ("Owner", {"fields": OWNER_FIELDS}),
            ("Times", {"fields": [*TIME_FIELDS, "total_time", "wall_time"]}),
        ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*RESULT_FIELDS, *OWNER_FIELDS, *TIME_FIELDS, "total_time", "wall_time"]

    # --- Columns -------------------------------------------------------------------------------
    @admin.display(description="id")
    def short_id(self, obj: Diagnosis) -> str:
        return str(obj.pk)[:8]

    @admin.display(description="owner", ordering="user__email")
    def owner(self, obj: Diagnosis) -> str:
        if obj.user_id:
            return obj.user.email or obj.user.get_username()
        return "guest"

    @admin.display(description="anonymous owner")
    def guest_owner(self, obj: Diagnosis) -> str:
        return "a browser session (its token is not shown)" if obj.guest_token else "–"

    @admin.display(description="grade", ordering="grade")
    def grade_display(self, obj: Diagnosis) -> str:
        return "–" if obj.grade is None else f"{obj.grade} {obj.label}"

    @admin.display(description="model", ordering="model_version")
    def model_display(self, obj: Diagnosis) -> str:
        return " ".join(part for part in (obj.model_name, obj.model_version) if part) or "–"

    @admin.display(description="analysis time")
    def total_time(self, obj: Diagnosis) -> str:
        return _seconds((obj.timings or {}).get("total"))

    @admin.display(description="upload to result")
    def wall_time(self, obj: Diagnosis) -> str:
        return _seconds(obj.wall_seconds)

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("diagnosis.requeue_diagnosis")

    @admin.action(
        description="Analyse the selected failed diagnoses again", permissions=["requeue"]
    )
    def requeue_failed(self, request: HttpRequest, queryset) -> None:
        count = services.requeue_failed(queryset)
        self.message_user(request, f"{count} failed diagnoses sent for analysis again.")

    # --- Deletion: Django's own (with its confirmation page), the files go too -----------------
    def delete_model(self, request: HttpRequest, obj: Diagnosis) -> None:
        services.delete_diagnoses([obj])

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        services.delete_diagnoses(queryset)
