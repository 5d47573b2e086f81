from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    """The shop's user. A custom model from day one, so fields can be added without pain."""

    email = models.EmailField("e-mail address", unique=True)
    # Raised by "log out everywhere": every session signed with the previous value ends.
    auth_epoch = models.PositiveIntegerField(default=0, editable=False)

    REQUIRED_FIELDS = ["email"]

    def save(self, *args, **kwargs) -> None:
        # set_password() keeps the new raw password in _password until the row is saved.
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            # A changed or reset password ends every API token (sessions end by themselves:
            # their auth hash follows the password).
            from accounts.services import api_tokens_revoke

            api_tokens_revoke(user=self)

    def _get_session_auth_hash(self, secret=None) -> str:
        if not self.auth_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.auth_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()
