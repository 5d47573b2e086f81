import copy

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts import services
from orders.forms import CheckoutForm
from orders.selectors import ADDRESS_FIELDS
from orders.services.checkout import Address


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "For order confirmations and password resets."

    def validate_unique(self) -> None:
        # Not the e-mail's uniqueness: saying "taken" would tell anyone whether an address has
        # an account. services.signup_request answers both alike (the username still must be
        # free: it is shown publicly anyway, on reviews and log-ins).
        exclude = self._get_validation_exclusions()
        exclude.add("email")
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)


class ThrottledLoginMixin:
    """An AuthenticationForm whose check is ``services.login_authenticate``: the shop's log-in
    page and the admin's count failed log-ins with the same limits as the token API."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()  # a missing field: nothing is checked, nothing counted
        try:
            self.user_cache = services.login_authenticate(
                request=self.request, username=username, password=password
            )
        except services.LoginThrottled as throttled:
            raise forms.ValidationError(throttled.message, code="throttled") from throttled
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


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


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's, with the e-mail sent by a Celery task and at most a few an hour per address
    (``services.send_account_email``): same answer, same timing, for any address."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        services.send_account_email(
            to=to_email,
            subject_template=subject_template_name,
            body_template=email_template_name,
            context=context,
        )


class ProfileForm(forms.Form):
    """The shopper's name, e-mail and the address their next checkout starts from. The
    address fields are the checkout's own (same labels, same country list)."""

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ADDRESS_FIELDS:
            field = copy.deepcopy(CheckoutForm.base_fields[name])
            field.required = False  # all of it or none (clean)
            self.fields[name] = field

    def clean_email(self) -> str:
        email = get_user_model().objects.normalize_email(self.cleaned_data["email"])
        taken = get_user_model().objects.filter(email__iexact=email).exclude(pk=self.user.pk)
        if taken.exists():
            raise forms.ValidationError("Another account uses this address.")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        given = {name for name in ADDRESS_FIELDS if cleaned.get(name)}
        needed = {name for name in ADDRESS_FIELDS if CheckoutForm.base_fields[name].required}
        if given and not needed <= given:
            for name in sorted(needed - given, key=ADDRESS_FIELDS.index):
                self.add_error(name, "Fill in the whole address, or leave it all empty.")
        return cleaned

    def address(self) -> Address | None:
        if not any(self.cleaned_data.get(name) for name in ADDRESS_FIELDS):
            return None
        return Address.from_checkout(self.cleaned_data)


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To be sure it is you.",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
