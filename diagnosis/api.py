"""Diagnosis API: upload a selfie, follow its analysis, list and delete one's own (thin views).

The owner is the signed-in account (session or token), or for an anonymous browser its session.
Someone else's diagnosis answers 404, never 403, so ids are not confirmed to strangers.
"""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import api_reader
from diagnosis import polling, selectors, services, session
from diagnosis.models import Diagnosis
from diagnosis.serializers import DiagnosisSerializer, DiagnosisUploadSerializer
from diagnosis.uploads import PhotoSizeGuard, size_limits
from recommendations.serializers import RecommendationSerializer, RoutineQuerySerializer
from recommendations.services import routine
from skinshop.api import CSRF_REQUIRED
from skinshop.ratelimit import client_address

_NOT_FOUND = OpenApiResponse(description="No such diagnosis, or not yours.")
_REJECTED = OpenApiResponse(
    description="The upload was refused and nothing was queued. `message` says why, `errors` "
    "names each field at fault (each bad photo under its own field) and `code` names the "
    "first kind: `not_an_image`, `damaged`, `empty`, `too_large`, `too_many_pixels`, "
    "`too_complex` (a JPEG of too many scans, or a photo too slow to read), "
    "`too_small`, `required` (no photo at all), `duplicate` (a field sent twice, or `image` "
    "with `front`), `invalid`, `consent_required`."
)
_RATE_LIMITED = OpenApiResponse(
    description="Too many photos this hour from this shopper or address (each photo counts: a "
    "check of three counts three), or too many new anonymous sessions from this address; "
    "`message` says so and `Retry-After` when to come back. Nothing was counted."
)
_TOO_LARGE = OpenApiResponse(
    description="The request is larger than a check may be (its `Content-Length`), refused "
    f"before it is read; `code` is `too_large`. A check takes {size_limits()}."
)
_BUSY = OpenApiResponse(
    description="The server is reading many photos right now; `code` is `busy`, `Retry-After` "
    "says when to send again. Not counted against the hourly limits."
)
_UNREADABLE_BODY = OpenApiResponse(
    description="The body is not multipart/form-data or form-urlencoded, or cannot be parsed."
)
_LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    location=OpenApiParameter.HEADER,
    response=[201],
    description="The new diagnosis in the API; poll it until `status` is done or failed.",
)


class UploadRefused(ValidationError):
    """A 400 whose ``code`` is the first problem's (e.g. ``not_an_image``), for clients that
    branch on the kind of refusal rather than parse the message."""

    def __init__(self, errors) -> None:
        super().__init__(errors)
        self.default_code = _first_code(self.detail)


def _first_code(detail) -> str:
    if isinstance(detail, dict):
        return _first_code(next(iter(detail.values()), None))
    if isinstance(detail, list):
        return _first_code(detail[0]) if detail else "invalid"
    return getattr(detail, "code", None) or "invalid"


@extend_schema_view(
    list=extend_schema(
        summary="List your diagnoses",
        description="The caller's own diagnoses, newest first, paginated: the signed-in "
        "account's, or an anonymous browser session's. Staff see only their own here too.",
        responses={
            200: DiagnosisSerializer(many=True),
            404: OpenApiResponse(description="No such page."),
        },
    ),
    retrieve=extend_schema(
        summary="Show a diagnosis: its status and, once done, its results",
        description="Poll this while `status` is queued or processing. Done: the combined "
        "grade with its label (that of the worst graded side, named in `combined_from`), the "
        "score, the probability of each grade, the face zones, the model, and in `views` each "
        "photo's own result with links to it and its heatmap. Failed: `failure_reason` says "
        "what to retake. "
        "Visible to its owner and to staff with the `diagnosis.view_selfie` permission. "
        "While the check is pending the answer carries an `ETag`: its owner's poll that sends "
        "it back in `If-None-Match` gets 304 until something changes (anyone else's gets the "
        "answer it gets without the header).",
        responses={
            200: DiagnosisSerializer,
            304: OpenApiResponse(description="Unchanged since the `ETag` sent."),
            404: _NOT_FOUND,
        },
    ),
)
class DiagnosisViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DiagnosisSerializer
    permission_classes = [AllowAny]
    # Files only: a selfie never comes as JSON (a JSON body is answered 415).
    parser_classes = [MultiPartParser, FormParser]

    def dispatch(self, request, *args, **kwargs):
        # A poll of one's own pending check that holds its current answer is answered 304 here,
        # from the session and one indexed read, before DRF wraps the request, authenticates,
        # negotiates and reads the photos; everything else goes through DRF unchanged.
        if self.action_map.get(request.method.lower()) == "retrieve":
            unchanged = self._unchanged(request, kwargs.get(self.lookup_field))
            if unchanged is not None:
                return unchanged
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _unchanged(request, pk) -> HttpResponse | None:
        reader = api_reader(request)
        if reader is None:
            return None
        unchanged = polling.not_modified(request, pk, user=reader)
        if unchanged is not None:
            patch_vary_headers(unchanged, ["Accept"])  # as the full answer varies
        return unchanged

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body (authentication's CSRF check would).
        request.upload_handlers.insert(0, PhotoSizeGuard(request))
        return super().initialize_request(request, *args, **kwargs)

    def _guest_token(self) -> str:
        return session.guest_token(self.request)

    def get_queryset(self) -> QuerySet[Diagnosis]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no session
            return Diagnosis.objects.none()
        owned = selectors.owned_diagnoses(user=self.request.user, guest_token=self._guest_token())
        return owned.prefetch_related("photos")

    def get_object(self) -> Diagnosis:
        diagnosis = selectors.visible_diagnosis(
            self.kwargs[self.lookup_field], user=self.request.user, guest_token=self._guest_token()
        )
        if diagnosis is None:
            raise NotFound("No such diagnosis of yours.")
        return diagnosis

    def retrieve(self, request: Request, *args, **kwargs) -> HttpResponse:
        # The 304 of a poll that holds the current answer is given in dispatch.
        diagnosis = self.get_object()
        response = Response(self.get_serializer(diagnosis).data)
        return polling.with_etag(response, request, diagnosis)

    @extend_schema(
        summary="Upload one to three photos for a skin check",
        description="multipart/form-data with the photos in `front`, `left` and `right` (any "
        "one is enough; `image`, the single photo of the first API, counts as `front`) and "
        "`consent=true`. Each photo is checked (format, size, pixels), turned upright, "
        "stripped of all metadata and stored privately; one bad photo refuses the whole upload "
        "(nothing is stored) with its field named. The check is queued and comes back "
        "`queued`. A photo the model cannot grade (no face, too dark, ...) is accepted and "
        "ends `failed` in `views` with its reason; the others are still graded, and the check "
        "fails only when none is. Anonymous callers own the check through their session. "
        f"A check takes {size_limits()}. Photos are limited per shopper and per address each "
        "hour; each photo counts (a check of three counts three).",
        request={"multipart/form-data": DiagnosisUploadSerializer},
        parameters=[_LOCATION],
        responses={
            201: DiagnosisSerializer,
            400: _REJECTED,
            403: CSRF_REQUIRED,
            413: _TOO_LARGE,
            415: _UNREADABLE_BODY,
            429: _RATE_LIMITED,
            503: _BUSY,
        },
    )
    def create(self, request: Request) -> Response:
        upload = DiagnosisUploadSerializer(data=request.data)
        # Consent, fields and sizes first: a request they refuse reads no photo and is not
        # counted against the shopper's hourly limit.
        if not upload.is_valid():
            raise UploadRefused(upload.errors)
        owner = session.upload_owner(request)
        checked = services.accept_photos(
            upload.uploads(),
            owner_key=owner.key,
            new_guest=owner.new_guest,
            address=client_address(request),
        )
        session.keep_guest_token(request, owner)
        if checked.rejected:
            raise UploadRefused(upload.refusals(checked.rejected))
        diagnosis = services.create_diagnosis(
            photos=checked.photos,
            user=request.user if request.user.is_authenticated else None,
            guest_token=owner.guest_token,
            client_address=client_address(request),
            skin_type=upload.validated_data.get("skin_type", ""),
            training_consent=upload.validated_data["training_consent"],
        )
        data = self.get_serializer(diagnosis).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(
        summary="Delete one of your diagnoses",
        description="The diagnosis, its photos and their heatmaps are deleted for good.",
        responses={
            204: None,
            403: OpenApiResponse(description="Staff may see but not delete a shopper's."),
            404: _NOT_FOUND,
        },
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        diagnosis = self.get_object()
        if not self.get_queryset().filter(pk=diagnosis.pk).exists():
            # Only staff with the permission get this far with someone else's diagnosis.
            raise PermissionDenied("Only its owner can delete a diagnosis.")
        services.delete_diagnoses([diagnosis])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Stop the shop learning from one of your diagnoses",
        description="Withdraws consent to learn: the photos leave the dermatologists' queue "
        "and every future export, their labels are deleted, and a check kept past its own "
        "retention only for training is deleted (then 204). Otherwise 200 with the check.",
        request=None,
        responses={200: DiagnosisSerializer, 204: None, 403: CSRF_REQUIRED, 404: _NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="training-consent/withdraw")
    def withdraw_training_consent(self, request: Request, pk=None) -> Response:
        diagnosis = self.get_queryset().filter(pk=self.get_object().pk).first()
        if diagnosis is None:  # staff who may see it: only its owner withdraws
            raise NotFound("No such diagnosis of yours.")
        services.withdraw_training_consent([diagnosis])
        diagnosis = self.get_queryset().filter(pk=diagnosis.pk).first()
        if diagnosis is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self.get_serializer(diagnosis).data)

    @extend_schema(
        summary="The routine for one of your diagnoses",
        description="The treatment plan, products and kit for the check's combined grade "
        "(the `grade` of the diagnosis, from its worst graded photo, with the products its zone "
        "findings add), as "
        "`GET /api/v1/recommendations/?grade=` gives them. Someone else's diagnosis is 404; "
        "one without a grade (not finished, or failed: `message` says why) is 409.",
        parameters=[RoutineQuerySerializer],
        responses={
            200: RecommendationSerializer,
            400: OpenApiResponse(description="Invalid input; `message` says what to fix."),
            404: _NOT_FOUND,
            409: OpenApiResponse(description="The diagnosis has no grade (yet)."),
        },
    )
    @action(detail=True, methods=["get"])
    def recommendation(self, request: Request, pk=None) -> Response:
        query = RoutineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        diagnosis = self.get_object()
        recommendation = routine.kit_recommendation(
            grade=selectors.grade_of(diagnosis),
            condition_slug=query.validated_data.get("condition", ""),
            # The skin type asked for, else the one the shopper gave with the check.
            skin_type=query.validated_data.get("skin_type") or diagnosis.skin_type,
            zones=diagnosis.zones,
            check=str(diagnosis.pk),
        )
        return Response(RecommendationSerializer(recommendation).data)
