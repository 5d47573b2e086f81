"""Writes of the accounts app."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def user_create(*, username: str, email: str, password: str):
    """A new shopper account. The password is checked by the caller's form (validators)."""
    User = get_user_model()
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def token_get_or_create(*, user) -> Token:
    """The user's API token (one per user, kept until revoked in admin)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token
