"""The anonymous owner of diagnoses: a random token kept in the session until log-in."""

import secrets

from django.http import HttpRequest

from diagnosis import services

GUEST_TOKEN_SESSION_KEY = "diagnosis_guest_token"


def guest_token(request: HttpRequest, *, create: bool = False) -> str:
    """The session's token ("" for none); ``create`` makes one for a first upload."""
    token = request.session.get(GUEST_TOKEN_SESSION_KEY)
    if isinstance(token, str) and token:
        return token
    if not create:
        return ""
    token = secrets.token_urlsafe(32)
    request.session[GUEST_TOKEN_SESSION_KEY] = token
    return token


def owner_key(request: HttpRequest) -> str:
    """What the per-user upload limit counts against."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"guest:{guest_token(request, create=True)}"


def attach_guest_diagnoses_at_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the anonymous session's diagnoses follow the shopper."""
    session = getattr(request, "session", None)
    if session is None:
        return
    token = session.pop(GUEST_TOKEN_SESSION_KEY, None)
    if isinstance(token, str) and token:
        services.attach_guest_diagnoses(user=user, guest_token=token)
