"""Project-level views that belong to no app."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """The load balancer's health check: the process is up and Django answers.

    No database query on purpose: a database hiccup should not make every web server look
    dead at once (the load balancer would then have nowhere to send traffic). It is also the
    cheapest request the framework can serve, the floor that bench/bench_load.py compares
    the shop's pages with.
    """
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """For clients that ask for /favicon.ico without reading the pages' ``<link rel="icon">``.
    Not permanent: the icon's static name carries a hash that changes with the file."""
    return HttpResponseRedirect(static("favicon.svg"))
