"""The OpenAPI description of accounts.authentication (drf-spectacular finds it by class)."""

from drf_spectacular.authentication import SessionScheme


class CsrfSessionScheme(SessionScheme):
    target_class = "accounts.authentication.SessionAuthentication"
