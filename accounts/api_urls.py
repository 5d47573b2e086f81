from django.urls import path

from accounts.api import (
    CsrfTokenView,
    LogOutEverywhereView,
    ObtainTokenView,
    PasswordResetConfirmView,
    PasswordResetView,
    SignupConfirmView,
    SignupView,
)

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth_token"),
    path("auth/csrf/", CsrfTokenView.as_view(), name="auth_csrf"),
    path("auth/logout-everywhere/", LogOutEverywhereView.as_view(), name="auth_logout_everywhere"),
    path("auth/signup/", SignupView.as_view(), name="auth_signup"),
    path("auth/signup/confirm/", SignupConfirmView.as_view(), name="auth_signup_confirm"),
    path("auth/password-reset/", PasswordResetView.as_view(), name="auth_password_reset"),
    path(
        "auth/password-reset/confirm/",
        PasswordResetConfirmView.as_view(),
        name="auth_password_reset_confirm",
    ),
]
