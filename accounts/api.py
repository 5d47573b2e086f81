"""Token authentication for API clients (apps, scripts)."""

from django.contrib.auth.forms import SetPasswordForm
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import ExpiringTokenAuthentication
from accounts.forms import PasswordResetForm, SignupForm
from skinshop.ratelimit import client_address


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


# --- Sign-up and password reset, for apps that need not send people to the website ----------


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What to tell the person.")


_RATE_LIMITED = OpenApiResponse(
    description="Too many requests from this network this hour (the web forms' limit, shared "
    "with them); the Retry-After header says how many seconds to wait."
)
_INVALID = OpenApiResponse(description="A field is missing or invalid (`errors` per field).")


def _form_errors(form, renamed: dict[str, str]) -> ValidationError:
    """A Django form's errors as the API's 400, its field names as the API's."""
    errors = {renamed.get(name, name): list(messages) for name, messages in form.errors.items()}
    return ValidationError(errors)


class SignupRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class SignupView(APIView):
    """Answers alike whether or not the address has an account, as the sign-up page does."""

    permission_classes = [AllowAny]
    authentication_classes = [ExpiringTokenAuthentication]  # credentials in the body, no CSRF

    @extend_schema(
        summary="Sign up",
        description='Always answers 202 "check your inbox": a new address gets a link that '
        "confirms the account (the app may read its `uid` and `token` and send them to "
        "`auth/signup/confirm/`); an address with an account gets an e-mail saying so. "
        "Limited like the sign-up page: 10 an hour per network address.",
        request=SignupRequestSerializer,
        responses={202: MessageSerializer, 400: _INVALID, 429: _RATE_LIMITED},
    )
    def post(self, request: Request) -> Response:
        services.check_request_rate(
            kind="signup",
            address=client_address(request),
            limit=services.SIGNUPS_PER_ADDRESS,
        )
        data = SignupRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password = data.validated_data["password"]
        form = SignupForm(
            {
                "username": data.validated_data["username"],
                "email": data.validated_data["email"],
                "password1": password,
                "password2": password,
            }
        )
        if not form.is_valid():
            raise _form_errors(form, {"password1": "password", "password2": "password"})
        services.signup_request(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=password,
            absolute=request.build_absolute_uri,
        )
        return Response({"detail": SIGNUP_SENT}, status=202)


class LinkSerializer(serializers.Serializer):
    uid = serializers.CharField(help_text="The `<uidb64>` part of the e-mailed link.")
    token = serializers.CharField(help_text="The `<token>` part of the e-mailed link.")


class SignupConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(
        summary="Confirm a sign-up",
        description="Activates the account the e-mailed link names and answers with its API "
        "token, as the link's page logs in.",
        request=LinkSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="The link is invalid, used or expired."),
        },
    )
    def post(self, request: Request) -> Response:
        data = LinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.signup_confirm(
            uidb64=data.validated_data["uid"], token=data.validated_data["token"]
        )
        if user is None:
            raise ValidationError({"token": [INVALID_LINK]})
        return Response({"token": services.token_get_or_create(user=user).key})


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(
        summary="Ask for a password reset",
        description="Always answers 202: an address with an account gets a reset link (the "
        "app may send its `uid` and `token` to `auth/password-reset/confirm/`). Limited like "
        "the reset page: 10 an hour per network address, 3 account e-mails an hour per box.",
        request=PasswordResetRequestSerializer,
        responses={202: MessageSerializer, 400: _INVALID, 429: _RATE_LIMITED},
    )
    def post(self, request: Request) -> Response:
        services.check_request_rate(
            kind="password-reset",
            address=client_address(request),
            limit=services.PASSWORD_RESETS_PER_ADDRESS,
        )
        data = PasswordResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = PasswordResetForm({"email": data.validated_data["email"]})
        if form.is_valid():
            form.save(
                request=request._request,
                use_https=request.is_secure(),
                subject_template_name="registration/password_reset_subject.txt",
                email_template_name="registration/password_reset_email.txt",
            )
        return Response({"detail": RESET_SENT}, status=202)


class PasswordResetConfirmSerializer(LinkSerializer):
    new_password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


@method_decorator(sensitive_post_parameters("new_password"), name="dispatch")
class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [ExpiringTokenAuthentication]

    @extend_schema(
        summary="Set a new password",
        description="With the e-mailed link's `uid` and `token`. Ends the account's API token "
        "and web sessions, as any password change does.",
        request=PasswordResetConfirmSerializer,
        responses={
            200: MessageSerializer,
            400: OpenApiResponse(
                description="The link is invalid or used, or the password is refused."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.password_reset_user(
            uidb64=data.validated_data["uid"], token=data.validated_data["token"]
        )
        if user is None:
            raise ValidationError({"token": [INVALID_LINK]})
        password = data.validated_data["new_password"]
        form = SetPasswordForm(user, {"new_password1": password, "new_password2": password})
        if not form.is_valid():
            renamed = {"new_password1": "new_password", "new_password2": "new_password"}
            raise _form_errors(form, renamed)
        form.save()
        return Response({"detail": "Your password is changed. Log in with it."})


SIGNUP_SENT = "Check your inbox: we sent you an e-mail to finish signing up."
RESET_SENT = "If an account uses this address, we sent it a link to set a new password."
INVALID_LINK = "This link is invalid or was already used; ask for a new one."
