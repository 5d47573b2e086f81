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
    # The unsubscribe token's hash stays out of sight too: staff never need it.
    exclude = ("token_hash",)
    readonly_fields = ("created_at", "sent_at", "claimed_until", "attempts", "token_expires_at")
