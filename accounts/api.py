"""Token authentication for API clients (apps, scripts)."""

from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import ExpiringTokenAuthentication


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="Username or e-mail address.")
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as `Authorization: Token <token>`. It lasts API_TOKEN_LIFETIME (30 "
        "days by default) and ends with a password change or reset, or a log-out everywhere."
    )


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ObtainTokenView(APIView):
    permission_classes = [AllowAny]
    # Credentials come in the body. No session auth here (so no CSRF); the token class only
    # makes a wrong password answer 401 with a WWW-Authenticate header rather than 403.
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(
        summary="Get an API token",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="A field is missing."),
            401: OpenApiResponse(description="Wrong username/e-mail or password."),
            429: OpenApiResponse(description="Too many failed attempts; wait 15 minutes."),
            415: OpenApiResponse(description="The request body could not be parsed."),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.login_authenticate(
            request=request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise AuthenticationFailed("Wrong username/e-mail or password.")
        token = services.token_get_or_create(user=user)
        return Response({"token": token.key})


class LogOutEverywhereView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Log out on every device",
        description="Ends the API token and every web session of the account.",
        request=None,
        responses={
            204: None,
            403: OpenApiResponse(description="Not signed in: no valid session or token."),
        },
    )
    def post(self, request: Request) -> Response:
        services.log_out_everywhere(user=request.user)
        return Response(status=204)


class CsrfTokenSerializer(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="Send as the `X-CSRFToken` header.")


class CsrfTokenView(APIView):
    """For clients that use the API without a token (a browser's scripts): the CSRF token an
    unsafe request needs, also set as the ``csrftoken`` cookie."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Get a CSRF token", responses={200: CsrfTokenSerializer})
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})
