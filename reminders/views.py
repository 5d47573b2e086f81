"""Pages of the check reminders (thin: the rules are in reminders.services).

Signed-in shoppers schedule and cancel their own reminder; no page takes a reminder's id, so
no one can reach another's. The e-mail's unsubscribe link works signed out: its token is the
credential.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reminders import selectors, services
from reminders.forms import ReminderForm


def _back(request: HttpRequest) -> str:
    """Where the form came from (the result or history page), if it is on this site."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def _day(when) -> str:
    return formats.date_format(timezone.localtime(when), "j F Y")


@never_cache
@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    reminder = selectors.active_reminder(request.user)
    form = ReminderForm(initial={"weeks": reminder.weeks} if reminder else None)
    return render(request, "reminders/index.html", {"reminder": reminder, "form": form})


@require_POST
def schedule(request: HttpRequest) -> HttpResponse:
    back = _back(request)
    if not request.user.is_authenticated:
        # Guests have no e-mail address to remind; after signing in they land where they were.
        messages.info(request, "Sign in to get a reminder by e-mail.")
        return redirect_to_login(back or reverse("reminders:index"))
    form = ReminderForm(request.POST)
    if form.is_valid():
        reminder = services.schedule(user=request.user, weeks=form.cleaned_data["weeks"])
        messages.success(
            request,
            f"We will e-mail {request.user.email} on {_day(reminder.due_at)} "
            "to remind you to check your skin again.",
        )
    else:
        messages.error(request, "Please choose in how many weeks to be reminded.")
    return redirect(back or "reminders:index")


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    if services.cancel_for_user(user=request.user):
        messages.success(request, "Your reminder is cancelled. We will not e-mail you.")
    else:
        messages.info(request, "You had no reminder to cancel.")
    return redirect(_back(request) or "reminders:index")


# The link's token is the credential, and mail providers POST here with no cookie at all
# (List-Unsubscribe-Post, RFC 8058): CSRF protection has nothing to add and would refuse them.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners open links: a GET changes nothing); POST, from the
    page's button or a mail provider's one-click, stops the reminders."""
    reminder = selectors.reminder_by_token(token)
    if reminder is None:
        raise Http404("No such reminder.")
    if request.method == "POST":
        services.cancel_by_token(token=token)
        response = render(request, "reminders/unsubscribed.html")
    else:
        # Only the link's own reminder: an old e-mail tells nothing of a later one.
        active = reminder if reminder.is_active else None
        response = render(request, "reminders/unsubscribe.html", {"active": active})
    # The token is in the address: keep the page out of search engines and other sites' logs.
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
