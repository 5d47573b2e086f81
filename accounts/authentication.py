"""API authentication. Its own module, free of views: DRF imports it while
rest_framework.views loads."""

from django.conf import settings
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, with the CSRF check extended to anonymous visitors who carry a session cookie.

    Their cart and selfies live in that session, so another site must not post into it; DRF
    only checks logged-in sessions. Clients without the cookie (apps, scripts) or with an
    Authorization header have no ambient credential to abuse and are not asked for a token.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if (
            result is None
            and settings.SESSION_COOKIE_NAME in request._request.COOKIES
            and "HTTP_AUTHORIZATION" not in request._request.META
        ):
            self.enforce_csrf(request)  # a no-op for GET, HEAD, OPTIONS
        return result
