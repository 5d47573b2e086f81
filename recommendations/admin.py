"""Staff curation of rules, plans and the scale, with overlap warnings and a per-grade preview."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
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
    ZoneRule,
)
from recommendations.services import routine, zones


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
    # What the plan's cautions rule out, so that zone rules cannot contradict them.
    filter_horizontal = ["excluded_ingredients", "excluded_products"]
    inlines = [PlanStepInline, PlanWarningInline]


class RuleItemInline(admin.StackedInline):
    # Stacked: six columns with a "how to use" text did not fit a laptop's width as a table.
    model = RuleItem
    extra = 0
    min_num = 1
    fields = ["position", "product", "role", "quantity", "when", "how_to_use", "why"]
    autocomplete_fields = ["product"]


def offered_dates(rule: RecommendationRule | ZoneRule) -> str:
    """A rule's date window in a few characters: "always", "from 1 Mar 2026", "until …"."""
    start, end = rule.valid_from, rule.valid_until
    if not start and not end:
        return "always"
    if start and end:
        return f"{start:%d %b %Y} – {end:%d %b %Y}"
    return f"from {start:%d %b %Y}" if start else f"until {end:%d %b %Y}"


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


def _preview_row(condition: SkinCondition, grade: int, skin_type: str, day) -> tuple:
    """One grade of the preview: its routine, and every zone rule that may add to it (or that
    its plan keeps out, and why)."""
    recommendation = routine.recommend(
        grade=grade, condition=condition, skin_type=skin_type, today=day
    )
    plan = recommendation.rule.plan if recommendation.rule else None
    additions = zones.zone_rules_preview(condition=condition, grade=grade, plan=plan, on=day)
    return recommendation, additions


@admin.register(RecommendationRule)
class RecommendationRuleAdmin(admin.ModelAdmin):
    # The condition (one in most shops) and the dates are filters and one column: the list
    # fits a 1280 px screen beside its filters.
    list_display = [
        "name",
        "grade_range",
        "priority",
        "is_active",
        "offered",
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
        # The skin type rides along: most rules are for any skin, so a column of dashes.
        skin = f", {rule.get_skin_type_display().lower()} skin" if rule.skin_type else ""
        return f"{rule.grade_range_display}{skin}"

    @admin.display(description="Dates", ordering="valid_from")
    def offered(self, rule: RecommendationRule) -> str:
        return offered_dates(rule)

    @admin.display(description="Kit −%", ordering="kit_discount_percent")
    def kit_discount(self, rule: RecommendationRule) -> str:
        percent = rule.kit_discount_percent
        return f"{percent_text(percent)} %" if percent else "—"

    @admin.display(description="Overlaps")
    def overlaps(self, rule: RecommendationRule) -> str:
        # A count keeps the column narrow; the rule's page names them and says who wins.
        found = selectors.rule_overlaps(rule=rule)
        if not found:
            return "—"
        names = ", ".join(str(r) for r in found)
        return format_html('<span title="{}">{} rule{}</span>', names, len(found), pluralize(found))

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
        day = on or timezone.localdate()
        conditions = [
            (
                condition,
                [
                    _preview_row(condition, grade, skin_type or "", day)
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


@admin.register(ZoneRule)
class ZoneRuleAdmin(admin.ModelAdmin):
    """Products added to any routine when a skin check finds one face zone inflamed."""

    # Zone, severity and "alone" read as one finding; dates as one column: the list fits a
    # 1280 px screen beside its filters.
    list_display = [
        "name",
        "grade_range",
        "finding",
        "product",
        "priority",
        "is_active",
        "offered",
    ]
    list_filter = ["condition", "is_active", "zone", "only_when_single_zone", "min_severity"]
    list_select_related = ["condition", "product"]
    search_fields = ["name", "slug", "product__name", "why"]
    search_help_text = "Name, product or reason."
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["product"]
    fieldsets = [
        (None, {"fields": ["condition", "name", "slug", "is_active", "priority"]}),
        (
            "When a check finds",
            {"fields": ["zone", "min_severity", "only_when_single_zone"]},
        ),
        (
            "For routines of the grades",
            {
                "fields": ["min_grade", "max_grade"],
                "description": "The check's overall grade. A routine whose treatment plan "
                "excludes the product (or one of its key ingredients) never gets it, whatever "
                "the grade: see the plans' exclusions and the per-grade preview.",
            },
        ),
        ("Add", {"fields": ["product", "quantity", "when", "how_to_use", "why"]}),
        ("When", {"fields": ["valid_from", "valid_until"]}),
    ]

    @admin.display(description="Grades", ordering="min_grade")
    def grade_range(self, rule: ZoneRule) -> str:
        return rule.grade_range_display

    @admin.display(description="When a check finds", ordering="zone")
    def finding(self, rule: ZoneRule) -> str:
        zone = rule.get_zone_display() if rule.zone else "any zone"
        alone = ", alone" if rule.only_when_single_zone else ""
        return f"{zone} ≥ {rule.min_severity}{alone}"

    @admin.display(description="Dates", ordering="valid_from")
    def offered(self, rule: ZoneRule) -> str:
        return offered_dates(rule)
