"""Cart and order API. The cart works for anonymous clients (session) and signed-in ones;
orders are their owner's only and need authentication (session or token)."""

import uuid

from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors
from orders.models import Order
from orders.payments import public_sandbox_note
from orders.serializers import (
    CartLineAddSerializer,
    CartLineQuantitySerializer,
    CartSerializer,
    CheckoutSerializer,
    OrderListSerializer,
    OrderSerializer,
)
from orders.services import cart as cart_services
from orders.services import checkout as checkout_services
from orders.session import existing_request_cart, request_cart
from skinshop.api import CSRF_REQUIRED

_INVALID = OpenApiResponse(description="Invalid input; `message` says what to fix.")
_NOT_IN_CART = OpenApiResponse(description="The product is not in the cart.")
# DRF answers 415 to a body it cannot parse (e.g. broken multipart).
_UNREADABLE_BODY = OpenApiResponse(description="The request body could not be parsed.")
_UNAUTHENTICATED = OpenApiResponse(description="Not signed in: no valid session or token.")


def _cart_response(cart, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(CartSerializer(selectors.cart_summary(cart=cart)).data, status=status_code)


class CartView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Show the cart", responses={200: CartSerializer})
    def get(self, request: Request) -> Response:
        return _cart_response(existing_request_cart(request))


class CartLinesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Add a product to the cart",
        description="Adds to the quantity already in the cart; the total may not exceed stock.",
        request=CartLineAddSerializer,
        responses={201: CartSerializer, 400: _INVALID, 403: CSRF_REQUIRED, 415: _UNREADABLE_BODY},
    )
    def post(self, request: Request) -> Response:
        data = CartLineAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = request_cart(request)
        cart_services.cart_add(cart=cart, **data.validated_data)
        return _cart_response(cart, status.HTTP_201_CREATED)


class CartLineView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Change a cart line's quantity",
        request=CartLineQuantitySerializer,
        responses={
            200: CartSerializer,
            400: _INVALID,
            403: CSRF_REQUIRED,
            404: _NOT_IN_CART,
            415: _UNREADABLE_BODY,
        },
    )
    def patch(self, request: Request, product_id: int) -> Response:
        data = CartLineQuantitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = existing_request_cart(request)
        if cart is None:
            raise cart_services.NotInCart()
        cart_services.cart_set_quantity(
            cart=cart, product_id=product_id, quantity=data.validated_data["quantity"]
        )
        return _cart_response(cart)

    @extend_schema(
        summary="Remove a product from the cart",
        responses={204: None, 403: CSRF_REQUIRED, 404: _NOT_IN_CART},
    )
    def delete(self, request: Request, product_id: int) -> Response:
        cart = existing_request_cart(request)
        if cart is None:
            raise cart_services.NotInCart()
        cart_services.cart_remove(cart=cart, product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


_SANDBOX = public_sandbox_note()

_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.UUID,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A UUID the client makes up per order. Sending the same key again (a retry "
    "after a timeout) returns the order the first request placed instead of a second one.",
)


# A form-encoded checkout's card details never reach an error report in clear.
@method_decorator(
    sensitive_post_parameters("card_number", "card_exp_month", "card_exp_year", "card_cvc"),
    name="dispatch",
)
class OrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own orders; anyone else's are 404."""

    permission_classes = [IsAuthenticated]
    lookup_field = "number"

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Order.objects.none()
        if self.action == "list":
            return selectors.order_list_for_user(user=self.request.user)
        return selectors.order_detail_queryset().filter(user=self.request.user)

    def get_serializer_class(self):
        return OrderListSerializer if self.action == "list" else OrderSerializer

    @extend_schema(
        summary="List your orders",
        responses={
            200: OrderListSerializer(many=True),
            403: _UNAUTHENTICATED,
            404: OpenApiResponse(description="No such page."),
        },
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Show one of your orders",
        responses={
            200: OrderSerializer,
            403: _UNAUTHENTICATED,
            404: OpenApiResponse(description="No such order of yours."),
        },
    )
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Place an order from your cart (checkout)",
        # The sandbox's test cards outside production only: there they would be an invitation.
        description=" ".join(
            filter(None, ["Pays with the card and empties the cart, all or nothing.", _SANDBOX])
        ),
        parameters=[_IDEMPOTENCY_KEY],
        request=CheckoutSerializer,
        responses={
            201: OrderSerializer,
            400: _INVALID,
            403: _UNAUTHENTICATED,
            402: OpenApiResponse(description="The payment was declined; nothing was ordered."),
            409: OpenApiResponse(
                description="Not enough stock (the products are named), or the key was used "
                "for someone else's order."
            ),
            415: _UNREADABLE_BODY,
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        key = _idempotency_key(request)
        data = CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = checkout_services.order_place(
            cart=request_cart(request),
            user=request.user,
            email=data.validated_data.get("email") or request.user.email,
            address=data.address(),
            card=data.card(),
            idempotency_key=key,
        )
        order = selectors.order_detail_queryset().get(pk=order.pk)
        # A replay answers like the first request did, as payment APIs do.
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


def _idempotency_key(request: Request) -> uuid.UUID:
    value = request.headers.get("Idempotency-Key", "")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(
            {"detail": "Send an Idempotency-Key header with a UUID, e.g. from uuid4()."},
            code="idempotency_key_required",
        ) from None
