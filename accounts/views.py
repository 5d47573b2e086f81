from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import AccountDeleteForm, PasswordResetForm, ProfileForm, SignupForm
from orders.models import SavedAddress
from orders.selectors import ADDRESS_FIELDS, order_list_for_user
from skinshop.ratelimit import client_address, seconds_left


class LoginView(auth_views.LoginView):
    """Django's log-in page; a paused log-in (repeated failures) answers 429 with Retry-After,
    as the token API does."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", "throttled"):
            response.status_code = 429
            response["Retry-After"] = str(seconds_left(services.LOGIN_WINDOW_SECONDS))
        return response


def _over_request_limit(
    request: HttpRequest, *, kind: str, limit: int, template: str, context
) -> HttpResponse | None:
    """Counts a sign-up or reset request of this address: the 429 page past ``limit`` an hour
    (``context`` is called for the page's context only then), else None."""
    try:
        services.check_request_rate(kind=kind, address=client_address(request), limit=limit)
    except services.TooManyRequests as limited:
        response = render(
            request, template, context() | {"rate_limited": limited.message}, status=429
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    return None


def _safe_next(request: HttpRequest, next_url: str) -> str:
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up answers "check your inbox" whether or not the address has an account; the
    e-mailed link confirms the account and logs in."""
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = SignupForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method == "POST":
        refused = _over_request_limit(
            request,
            kind="signup",
            limit=services.SIGNUPS_PER_ADDRESS,
            template="accounts/signup.html",
            context=lambda: context,
        )
        if refused:
            return refused
        if form.is_valid():
            services.signup_request(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                absolute=request.build_absolute_uri,
                next_url=_safe_next(request, next_url),
            )
            return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", context)


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links; they must not log in); POST confirms
    the account and logs in, which brings the anonymous cart and diagnoses along."""
    if request.method == "GET":
        valid = services.signup_pending_user(uidb64=uidb64, token=token) is not None
        if not valid:
            return render(request, "accounts/signup_confirm_invalid.html", status=400)
        return render(request, "accounts/signup_confirm.html", {"next": request.GET.get("next")})
    user = services.signup_confirm(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/signup_confirm_invalid.html", status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome, {user.username}! Your account is ready.")
    return redirect(_safe_next(request, request.POST.get("next") or "") or "accounts:profile")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, limited per address; the e-mail leaves by a Celery task (forms)."""

    form_class = PasswordResetForm

    def post(self, request, *args, **kwargs):
        refused = _over_request_limit(
            request,
            kind="password-reset",
            limit=services.PASSWORD_RESETS_PER_ADDRESS,
            template=self.template_name,
            context=lambda: self.get_context_data(form=self.get_form()),
        )
        return refused or super().post(request, *args, **kwargs)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    orders = order_list_for_user(user=request.user)
    address = SavedAddress.objects.filter(user=request.user).first()
    return render(request, "accounts/profile.html", {"orders": orders, "address": address})


@require_http_methods(["GET", "POST"])
@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
    saved = SavedAddress.objects.filter(user=user).first()
    if saved is not None:
        initial |= {name: getattr(saved, name) for name in ADDRESS_FIELDS}
    form = ProfileForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.account_update(
            user=user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            email=form.cleaned_data["email"],
            address=form.address(),
        )
        messages.success(request, "Your details are saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
def profile_export(request: HttpRequest) -> HttpResponse:
    """Everything the shop keeps about the shopper, as a JSON file to download."""
    data = services.account_export(user=request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    name = f"{settings.SHOP_NAME.lower()}-data-{request.user.username}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@login_required
def profile_delete(request: HttpRequest) -> HttpResponse:
    """Deletes the account and what is the shopper's, after their password; logs out."""
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(user=request.user)
        logout(request)
        messages.success(request, "Your account, your skin checks and their photos are deleted.")
        return redirect("catalog:product_list")
    return render(request, "accounts/profile_delete.html", {"form": form})


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """Ends every session of the account (this one too) and its API token."""
    services.log_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, "You are logged out on every device.")
    return redirect("accounts:login")
