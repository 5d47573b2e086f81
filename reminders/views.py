"""Pages of the check reminders (thin: the rules are in reminders.services).

The e-mail's unsubscribe link works signed out: its token is the credential.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reminders import selectors, services


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
        active = selectors.active_reminder(reminder.user)
        response = render(request, "reminders/unsubscribe.html", {"active": active})
    # The token is in the address: keep the page out of search engines and other sites' logs.
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
