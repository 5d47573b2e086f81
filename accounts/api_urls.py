from django.urls import path

from accounts.api import CsrfTokenView, LogOutEverywhereView, ObtainTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth_token"),
    path("auth/csrf/", CsrfTokenView.as_view(), name="auth_csrf"),
    path("auth/logout-everywhere/", LogOutEverywhereView.as_view(), name="auth_logout_everywhere"),
]
