"""Staff view of diagnoses: status, results, each photo's own result, model and timings;
read-only.

Selfies and heatmaps are shoppers' faces: they are shown (through the same permission-checked
media views the shop uses) only to staff holding ``diagnosis.view_selfie``, and the file fields
themselves are never rendered, since a storage URL would bypass that check.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from diagnosis import operations, services, versions
from diagnosis.models import Diagnosis, DiagnosisPhoto, ModelVersion, ShadowResult
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
    change_list_template = "diagnosis/admin/diagnosis_change_list.html"

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

    # --- Operations at a glance ----------------------------------------------------------------
    def get_urls(self):
        page = path(
            "operations/",
            self.admin_site.admin_view(self.operations_view),
            name="diagnosis_operations",
        )
        return [page, *super().get_urls()]

    def operations_view(self, request: HttpRequest) -> HttpResponse:
        """Checks per day, why they failed, how long shoppers waited, the grades, the model in
        use, the labels: for staff who may see the checks."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Operations at a glance",
            "overview": operations.overview(),
        }
        return TemplateResponse(request, "diagnosis/admin/operations.html", context)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    """Registered models: their figures beside the model in use, promotion (and rollback, the
    same action on the previous version) and shadow runs, for staff holding
    ``diagnosis.promote_modelversion``. Versions come from ``manage.py register_model``."""

    list_display = ["id", "name", "version", "status", "accuracy", "registered_at", "promoted"]
    list_filter = ["status"]
    actions = ["promote", "shadow", "stop_shadow"]
    fields = [
        "comparison",
        "name",
        "version",
        "status",
        "terms",
        "commercial_use",
        "sha256",
        "card",
        "evaluation",
        "evaluated_at",
        "registered_at",
        "promoted_at",
        "promoted_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a version comes from register_model, which also judges it

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # retired, never deleted: the checks it made name it

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(versions.PROMOTE_PERMISSION)

    @admin.display(description="accuracy")
    def accuracy(self, obj: ModelVersion) -> str:
        value = (obj.evaluation or {}).get("accuracy")
        return "–" if value is None else f"{value:.3f}"

    @admin.display(description="promoted", ordering="promoted_at")
    def promoted(self, obj: ModelVersion) -> str:
        if obj.promoted_at is None:
            return "–"
        who = obj.promoted_by.get_username() if obj.promoted_by else "command line"
        return f"{obj.promoted_at:%Y-%m-%d %H:%M} by {who}"

    @admin.display(description="beside the model in use")
    def comparison(self, obj: ModelVersion) -> str:
        return render_to_string(
            "diagnosis/admin/comparison.html", {"c": operations.comparison(obj)}
        )

    @admin.action(description="Make the selected version the model in use", permissions=["promote"])
    def promote(self, request: HttpRequest, queryset) -> None:
        chosen = self._one(request, queryset)
        if chosen is None:
            return
        try:
            done = versions.promote(chosen, by=request.user)
        except versions.VersionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request, f"{done} is now the model in use; workers take it from their next check."
        )

    @admin.action(description="Run the selected version in shadow", permissions=["promote"])
    def shadow(self, request: HttpRequest, queryset) -> None:
        chosen = self._one(request, queryset)
        if chosen is None:
            return
        try:
            done = versions.run_in_shadow(chosen)
        except versions.VersionRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{done} now grades new checks in shadow.")

    @admin.action(description="Stop the selected version's shadow runs", permissions=["promote"])
    def stop_shadow(self, request: HttpRequest, queryset) -> None:
        for version in queryset:
            versions.stop_shadow(version)
        self.message_user(request, "Shadow runs stopped.")

    def _one(self, request: HttpRequest, queryset) -> ModelVersion | None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return None
        return chosen[0]


@admin.register(ShadowResult)
class ShadowResultAdmin(admin.ModelAdmin):
    """What a version in shadow made of checks, beside the grade the shopper got."""

    list_display = [
        "diagnosis",
        "model_release",
        "grade",
        "shopper_grade",
        "failure_code",
        "created_at",
    ]
    list_filter = ["model_release"]
    list_select_related = ["diagnosis", "model_release"]
    readonly_fields = [f.name for f in ShadowResult._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="shopper's grade")
    def shopper_grade(self, obj: ShadowResult):
        return obj.diagnosis.grade
