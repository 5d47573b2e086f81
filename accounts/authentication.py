"""API authentication. Its own module, free of views: DRF imports it while
rest_framework.views loads."""

from django.conf import settings
from django.http import HttpRequest
from rest_framework import authentication, exceptions


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    """DRF's token (``Authorization: Token <key>``), valid ``API_TOKEN_LIFETIME`` seconds from
    its creation; an expired token is deleted and refused."""

    def authenticate_credentials(self, key):
        from accounts.services import token_expired

        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(
                "This token has expired; get a new one from /api/v1/auth/token/."
            )
        return user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, with the CSRF check extended to every unsafe request that no API token vouches
    for, not only logged-in sessions.

    Another site can make a visitor's browser send a form (urlencoded, multipart or plain
    text) to the API: with the visitor's anonymous session cookie it would post into that
    session, and without one it would create a session of its own, whose cart or selfie then
    joins the victim's account at log-in. So a POST, PATCH or DELETE without an
    ``Authorization`` header needs the CSRF token, except a JSON body from a client that holds
    no session cookie yet: a browser sends JSON to another site only after a CORS preflight,
    which the shop never grants, so such a request cannot come from another site.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None and "HTTP_AUTHORIZATION" not in request._request.META:
            has_session = settings.SESSION_COOKIE_NAME in request._request.COOKIES
            if has_session or request._request.content_type != "application/json":
                self.enforce_csrf(request)  # a no-op for GET, HEAD, OPTIONS
        return result


def api_credential_user(request: HttpRequest):
    """The user an API credential (``Authorization`` header) names, for a plain Django view
    that serves API clients too (the diagnosis media); None without a valid one.

    Uses the API's own authentication classes, sessions aside (the view has those already), so
    a token is checked exactly as the API checks it: expiry and revocation included.
    """
    from rest_framework.settings import api_settings

    if "HTTP_AUTHORIZATION" not in request.META:
        return None
    for auth_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(auth_class, authentication.SessionAuthentication):
            continue
        try:
            result = auth_class().authenticate(request)
        except exceptions.AuthenticationFailed:
            return None
        if result is not None:
            return result[0]
    return None


def api_reader(request: HttpRequest):
    """For a safe request (GET, HEAD) answered before DRF's dispatch: the user DRF's
    authentication would find, in its order (the session's, then an API credential's), or the
    anonymous user; None when DRF might answer otherwise (a credential it refuses), so that
    the caller leaves the request to DRF."""
    if request.user.is_authenticated or "HTTP_AUTHORIZATION" not in request.META:
        return request.user
    return api_credential_user(request)
