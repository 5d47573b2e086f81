"""Labelling API for the shop's dermatologists (thin): the next photo, and a label of it.

Anyone else gets 403 (401 without credentials). A photo that is not learnable (no consent to
learn, withdrawn, past its retention) is 404, whether or not it exists.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from labelling import selectors, services
from labelling.serializers import LabelInputSerializer, LabelSerializer, NextPhotoSerializer


class IsDermatologist(BasePermission):
    message = "Labelling is for the shop's dermatologists."

    def has_permission(self, request, view) -> bool:
        return selectors.is_dermatologist(request.user)


_FORBIDDEN = OpenApiResponse(description="Not a member of the Dermatologists group.")


class LabelView(APIView):
    permission_classes = [IsDermatologist]

    @extend_schema(
        summary="Label a photo (dermatologists)",
        description="A GEA grade (`grade`), or `cannot_grade` with the reason, and optional "
        "lesion marks (points as fractions of the photo, each with its type). One label per "
        "person per photo: the same label again answers 200 with the first (a double click is "
        "harmless); a different one is 409 `already_labelled`. A photo whose first opinions "
        "differ takes a third, final one (`role`: adjudication); a settled photo takes no "
        "more (409 `photo_settled`). The answer reveals the model's grade.",
        request=LabelInputSerializer,
        responses={
            201: LabelSerializer,
            200: LabelSerializer,
            400: OpenApiResponse(description="Invalid label; `message` says what to fix."),
            403: _FORBIDDEN,
            404: OpenApiResponse(description="No such photo to label."),
            409: OpenApiResponse(description="`already_labelled` or `photo_settled`."),
        },
    )
    def post(self, request: Request) -> Response:
        given = LabelInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        recorded = services.record_label(
            labeller=request.user,
            photo_id=data["photo"],
            grade=data.get("grade"),
            cannot_grade=data["cannot_grade"],
            lesions=[dict(mark) for mark in data["lesions"]],
        )
        return Response(
            LabelSerializer(recorded.label).data,
            status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK,
        )


class NextPhotoView(APIView):
    permission_classes = [IsDermatologist]

    @extend_schema(
        summary="The next photo to label (dermatologists)",
        description="The photo your queue offers next, without the model's grade (shown once "
        "you have answered) and without anything about its owner; 204 when none is waiting.",
        responses={200: NextPhotoSerializer, 204: None, 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        photo = selectors.next_photo(request.user)
        if photo is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        photo.image_url = reverse("labelling:photo", args=[photo.pk], request=request)
        photo.waiting = selectors.queue_size(request.user)
        return Response(NextPhotoSerializer(photo).data)
