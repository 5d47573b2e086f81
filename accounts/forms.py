from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts import services
from accounts.selectors import login_username
from skinshop.ratelimit import client_address


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "For order confirmations and password resets."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email


class ThrottledLoginMixin:
    """The failed log-in limits (``services.login_attempt``) around an AuthenticationForm's
    check: the shop's log-in page and the admin's use the same counters as the token API."""

    def clean(self):
        typed = self.cleaned_data.get("username") or ""
        if not (typed and self.cleaned_data.get("password")):
            return super().clean()  # a missing field: nothing is checked, nothing counted
        address = client_address(self.request) if self.request else None
        try:
            attempt = services.login_attempt(username=typed, address=address)
        except services.LoginThrottled as throttled:
            raise forms.ValidationError(str(throttled), code="throttled") from throttled
        self.cleaned_data["username"] = login_username(typed)
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        attempt.succeeded()
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """Log in with the username or the e-mail address."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or e-mail"
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs["maxlength"] = 254
        self.error_messages["invalid_login"] = (
            "That username or e-mail and password do not match an account. Both are "
            "case-sensitive except the e-mail."
        )


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """``/admin/login/``: staff only, as Django's, with the shop's failed log-in limits."""
