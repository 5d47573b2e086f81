"""Recommendation API: the routine for a grade, and its kit into the cart (thin views)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.selectors import cart_summary
from orders.session import request_cart
from recommendations.serializers import (
    KitAddResultSerializer,
    KitRequestSerializer,
    RecommendationQuerySerializer,
    RecommendationSerializer,
)
from recommendations.services import kits, routine
from skinshop.api import CSRF_REQUIRED

_INVALID = OpenApiResponse(description="Invalid input; `message` says what to fix.")
_NOT_FOUND = OpenApiResponse(description="No such skin condition, or the kit is not offered.")


class RecommendationView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Recommend a routine for a grade",
        description="The treatment plan, products (out-of-stock ones replaced or marked) and "
        "kit for a severity grade, each product with why it is there. Every grade of the "
        "scale gets an answer. With `zones`, zone rules may add products (e.g. a spot "
        "treatment when one zone is inflamed); they join the kit. The routine for one of "
        "your diagnoses: `GET /api/v1/diagnoses/{id}/recommendation/`.",
        parameters=[RecommendationQuerySerializer],
        responses={
            200: RecommendationSerializer,
            400: _INVALID,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request) -> Response:
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        recommendation = routine.kit_recommendation(
            grade=data["grade"],
            condition_slug=data.get("condition", ""),
            skin_type=data.get("skin_type", ""),
            zones=data.get("zones", ()),
        )
        return Response(RecommendationSerializer(recommendation).data)


class CartKitsView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Add a whole kit to the cart",
        description="One transaction. Every product of the kit is added up to what stock "
        "allows; `problems` names what could not be added. 400 when nothing could be added. "
        "Send the recommendation's `kit.diagnosis` (one of your skin checks) to include what "
        "its zone findings added; zones are never taken from the request. "
        "A discounted kit is recorded on the cart: its discount comes off (`cart.kits`) while "
        "the cart holds the whole kit, once per kit however often it is added.",
        request=KitRequestSerializer,
        responses={
            201: KitAddResultSerializer,
            400: _INVALID,
            403: CSRF_REQUIRED,
            404: _NOT_FOUND,
        },
    )
    def post(self, request: Request) -> Response:
        body = KitRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        recommendation = kits.requested_kit(
            request=request,
            rule_id=data.get("rule"),
            grade=data.get("grade"),
            condition_slug=data.get("condition", ""),
            skin_type=data.get("skin_type", ""),
            check_id=data.get("diagnosis"),
        )
        cart = request_cart(request)
        result = kits.kit_add_to_cart(cart=cart, recommendation=recommendation)
        if not result.added:
            raise ValidationError(
                {"detail": "Nothing from this kit could be added. " + " ".join(result.problems)},
                code="nothing_added",
            )
        payload = {
            "added": [{"product": p, "quantity": q} for p, q in result.added],
            "problems": result.problems,
            "notes": result.notes,
            "cart": cart_summary(cart=cart),
        }
        return Response(KitAddResultSerializer(payload).data, status=status.HTTP_201_CREATED)
