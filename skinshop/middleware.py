"""Response headers the whole site sends."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
