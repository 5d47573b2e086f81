"""``{% check_reminder as state %}``: what the reminder form on other apps' pages needs, so
those pages include one template and their views stay unaware of reminders."""

from django import template

from reminders import selectors
from reminders.forms import ReminderForm
from reminders.models import DEFAULT_WEEKS

register = template.Library()


@register.simple_tag(takes_context=True)
def check_reminder(context) -> dict | None:
    """None for a guest; else the active reminder (or None) and the form to set one."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    reminder = selectors.active_reminder(request.user)
    weeks = reminder.weeks if reminder else DEFAULT_WEEKS
    return {"reminder": reminder, "form": ReminderForm(initial={"weeks": weeks})}
