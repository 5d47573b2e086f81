"""Reads of the accounts app."""

from django.contrib.auth import get_user_model


def login_username(identifier: str) -> str:
    """The username to authenticate for what a shopper typed: a username or an e-mail.

    An e-mail that matches no account is returned unchanged, so authentication fails with
    the usual message and nothing tells whether an address is registered.
    """
    identifier = identifier.strip()
    if "@" not in identifier:
        return identifier
    User = get_user_model()
    username = (
        User.objects.filter(email__iexact=identifier).values_list(User.USERNAME_FIELD, flat=True)
    ).first()
    return username or identifier
