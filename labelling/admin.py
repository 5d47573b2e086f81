"""Labels in admin, read-only: who labelled which photo (by its id) and how."""

from django.contrib import admin

from labelling.models import Label


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["photo_id", "labeller", "role", "grade", "cannot_grade", "created_at"]
    list_filter = ["role", "grade", "cannot_grade"]
    readonly_fields = ["photo", "labeller", "role", "grade", "cannot_grade", "lesions"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
