"""The anonymous owner of diagnoses: a random token kept in the session until log-in."""

import secrets

from django.conf import settings
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


def client_address(request: HttpRequest) -> str | None:
    """The shopper's address for the per-address limit. Behind NUM_PROXIES trusted proxies it
    is the entry they appended to X-Forwarded-For; entries before it are the client's word and
    would let anyone dodge the limit."""
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None


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
