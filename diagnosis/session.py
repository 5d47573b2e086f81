"""The anonymous owner of diagnoses: a random token kept in the session until log-in."""

import secrets
from dataclasses import dataclass

from django.http import HttpRequest

from diagnosis import services

GUEST_TOKEN_SESSION_KEY = "diagnosis_guest_token"


def guest_token(request: HttpRequest) -> str:
    """The session's token ("" for none)."""
    token = request.session.get(GUEST_TOKEN_SESSION_KEY)
    return token if isinstance(token, str) and token else ""


@dataclass(frozen=True)
class UploadOwner:
    """Who an upload is for: ``key`` is what the per-shopper limit counts against."""

    key: str
    guest_token: str  # "" for an account
    new_guest: bool  # anonymous, with no guest session yet: ``guest_token`` is new


def upload_owner(request: HttpRequest) -> UploadOwner:
    """The uploading account, or the anonymous session; a first upload gets a new token, kept
    in the session only once the upload is counted (``keep_guest_token``)."""
    if request.user.is_authenticated:
        return UploadOwner(key=f"user:{request.user.pk}", guest_token="", new_guest=False)
    token = guest_token(request)
    if token:
        return UploadOwner(key=f"guest:{token}", guest_token=token, new_guest=False)
    token = secrets.token_urlsafe(32)
    return UploadOwner(key=f"guest:{token}", guest_token=token, new_guest=True)


def keep_guest_token(request: HttpRequest, owner: UploadOwner) -> None:
    """A new guest's token goes into the session once its photos are counted against it."""
    if owner.new_guest:
        request.session[GUEST_TOKEN_SESSION_KEY] = owner.guest_token


def attach_guest_diagnoses_at_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """``user_logged_in`` receiver: the anonymous session's diagnoses follow the shopper."""
    session = getattr(request, "session", None)
    if session is None:
        return
    token = session.pop(GUEST_TOKEN_SESSION_KEY, None)
    if isinstance(token, str) and token:
        services.attach_guest_diagnoses(user=user, guest_token=token)
