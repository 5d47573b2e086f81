from django.urls import path

from accounts.api import LogOutEverywhereView, ObtainTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth_token"),
    path("auth/logout-everywhere/", LogOutEverywhereView.as_view(), name="auth_logout_everywhere"),
]
