from django.contrib import admin

from reminders.models import CheckReminder


@admin.register(CheckReminder)
class CheckReminderAdmin(admin.ModelAdmin):
    list_display = ("user", "weeks", "due_at", "sent_at", "cancelled_at", "attempts", "created_at")
    list_filter = ("weeks", ("sent_at", admin.EmptyFieldListFilter), "cancelled_at")
    search_fields = ("user__username", "user__email")
    date_hierarchy = "due_at"
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    # The token is the unsubscribe link's secret: shown, never edited.
    readonly_fields = ("token", "created_at", "sent_at", "claimed_until", "attempts")
