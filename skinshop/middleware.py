"""Response headers the whole site sends, and the largest request it reads."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html


def content_security_policy() -> str:
    """``settings.CONTENT_SECURITY_POLICY`` (directive -> sources) as the header's value."""
    return "; ".join(
        " ".join([directive, *sources])
        for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
    )


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header to every response that has none: scripts only
    from the shop's own files, no plug-ins, no framing, forms posting only to the shop. A view
    that needs another policy sets its own header."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy()
        return response


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is larger than ``MAX_REQUEST_BYTES`` (the largest
    thing the shop takes: a skin check's photos) with 413, before anything reads it: Django would
    otherwise parse the whole body, writing its files to disk, before a view could say no.

    The API's answer is its JSON error (``code`` too_large); a page gets a short HTML one. A body
    without a Content-Length is not read by Django at all.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length <= limit:
            return self.get_response(request)
        message = (
            f"What you sent is too large ({_megabytes(length)}); the shop takes at most "
            f"{_megabytes(limit)} at once."
        )
        if request.path.startswith("/api/"):
            return JsonResponse({"message": message, "code": "too_large"}, status=413)
        page = format_html(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Too large</title>'
            '</head><body><h1>Too large</h1><p>{}</p><p><a href="{}">Back</a></p></body></html>',
            message,
            request.path,
        )
        return HttpResponse(page, status=413)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"
