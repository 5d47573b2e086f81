"""Staff curation of rules, plans and the scale, with overlap warnings and a per-grade preview."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from orders.selectors import percent_text
from recommendations import selectors
from recommendations.forms import PreviewForm
from recommendations.models import (
    PlanStep,
    PlanWarning,
    RecommendationRule,
    RuleItem,
    SkinCondition,
    TreatmentPlan,
)
from recommendations.services import routine


@admin.register(SkinCondition)
class SkinConditionAdmin(admin.ModelAdmin):
    list_display = ["name", "scale_name", "max_grade", "refer_from_grade", "position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 0
    fields = ["position", "timing", "title", "instructions", "from_week"]


class PlanWarningInline(admin.TabularInline):
    model = PlanWarning
    extra = 0
    fields = ["position", "level", "text"]


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "duration_weeks", "updated_at"]
    search_fields = ["name", "slug", "summary", "steps__title", "warnings__text"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanStepInline, PlanWarningInline]


class RuleItemInline(admin.StackedInline):
    # Stacked: six columns with a "how to use" text did not fit a laptop's width as a table.
    model = RuleItem
    extra = 0
    min_num = 1
    fields = ["position", "product", "role", "quantity", "when", "how_to_use"]
    autocomplete_fields = ["product"]


def _rule_link(rule: RecommendationRule) -> str:
    url = reverse("admin:recommendations_recommendationrule_change", args=[rule.pk])
    return format_html('<a href="{}">{}</a>', url, rule)


def overlap_message(rule: RecommendationRule, overlaps: list[RecommendationRule]) -> str:
    """Which active rules this one overlaps with, and which wins for a shopper they share."""
    winner = min([rule, *overlaps], key=lambda r: (-r.priority, r.skin_type == "", r.pk))
    others = ", ".join(
        f"“{r}” (priority {r.priority}, grades {r.grade_range_display})" for r in overlaps
    )
    return (
        f"“{rule}” overlaps with {others}. Where they overlap “{winner}” wins (highest "
        f"priority; on a tie a skin-type rule, then the older rule)."
    )


@admin.register(RecommendationRule)
class RecommendationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "condition",
        "grade_range",
        "skin_type",
        "priority",
        "is_active",
        "valid_from",
        "valid_until",
        "plan",
        "kit_discount",
        "overlaps",
    ]
    list_filter = ["condition", "is_active", "skin_type", "plan", "min_grade", "max_grade"]
    list_select_related = ["condition", "plan"]
    search_fields = ["name", "slug", "kit_name", "plan__name", "items__product__name"]
    search_help_text = "Name, kit name, plan or product."
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["plan_steps", "overlap_warning"]
    fieldsets = [
        (None, {"fields": ["condition", "name", "slug", "is_active", "priority"]}),
        ("Kit", {"fields": ["kit_name", "kit_discount_percent"]}),
        ("Who it applies to", {"fields": ["min_grade", "max_grade", "skin_type"]}),
        ("When", {"fields": ["valid_from", "valid_until"]}),
        ("Plan", {"fields": ["plan", "plan_steps"]}),
        ("Overlaps", {"fields": ["overlap_warning"]}),
    ]
    inlines = [RuleItemInline]
    change_list_template = "recommendations/admin/rule_change_list.html"

    @admin.display(description="Grades", ordering="min_grade")
    def grade_range(self, rule: RecommendationRule) -> str:
        return rule.grade_range_display

    @admin.display(description="Kit discount", ordering="kit_discount_percent")
    def kit_discount(self, rule: RecommendationRule) -> str:
        percent = rule.kit_discount_percent
        return f"{percent_text(percent)} %" if percent else "—"

    @admin.display(description="Overlaps with")
    def overlaps(self, rule: RecommendationRule) -> str:
        found = selectors.rule_overlaps(rule=rule)
        return ", ".join(str(r) for r in found) or "—"

    @admin.display(description="Steps of the plan")
    def plan_steps(self, rule: RecommendationRule) -> str:
        if not rule.plan_id:
            return "—"
        url = reverse("admin:recommendations_treatmentplan_change", args=[rule.plan_id])
        steps = format_html_join(
            "",
            "<li>{} — <strong>{}</strong>: {}</li>",
            ((s.get_timing_display(), s.title, s.instructions) for s in rule.plan.steps.all()),
        )
        return format_html(
            '<ol>{}</ol><a href="{}">Edit the plan’s steps and warnings</a>', steps, url
        )

    @admin.display(description="Overlapping rules")
    def overlap_warning(self, rule: RecommendationRule) -> str:
        found = selectors.rule_overlaps(rule=rule) if rule.pk else []
        return overlap_message(rule, found) if found else "None."

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Overlaps are allowed (priority decides) but staff should see them at once.
        found = selectors.rule_overlaps(rule=form.instance)
        if found:
            messages.warning(request, overlap_message(form.instance, found))

    def get_urls(self):
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="recommendations_recommendationrule_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """For every grade of every condition: what a shopper would get now (or on a day)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreviewForm(request.GET or None)
        on = skin_type = None
        if form.is_bound and form.is_valid():
            on, skin_type = form.cleaned_data["on"], form.cleaned_data["skin_type"]
        conditions = [
            (
                condition,
                [
                    routine.recommend(
                        grade=grade, condition=condition, skin_type=skin_type or "", today=on
                    )
                    for grade in condition.grades
                ],
            )
            for condition in selectors.condition_list()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Preview: what shoppers get per grade",
            "form": form,
            "conditions": conditions,
        }
        return TemplateResponse(request, "recommendations/admin/preview.html", context)
