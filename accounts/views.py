from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import SignupForm
from orders.selectors import order_list_for_user
from skinshop.ratelimit import seconds_left


class LoginView(auth_views.LoginView):
    """Django's log-in page; a paused log-in (repeated failures) answers 429 with Retry-After,
    as the token API does."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", "throttled"):
            response.status_code = 429
            response["Retry-After"] = str(seconds_left(services.LOGIN_WINDOW_SECONDS))
        return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Logging in fires user_logged_in, which brings the anonymous cart along.
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! Your account is ready.")
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    orders = order_list_for_user(user=request.user)
    return render(request, "accounts/profile.html", {"orders": orders})


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """Ends every session of the account (this one too) and its API token."""
    services.log_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, "You are logged out on every device.")
    return redirect("accounts:login")
