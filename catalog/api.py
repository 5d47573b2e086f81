"""Read-only catalog API: products and categories, open to anonymous clients."""

import json

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import cache, selectors
from catalog.models import Category, Product
from catalog.serializers import (
    CategorySerializer,
    ProductDetailSerializer,
    ProductFilterSerializer,
    ProductListSerializer,
)

_NOT_FOUND = OpenApiResponse(description="No active product with this slug.")
_BAD_FILTER = OpenApiResponse(description="A query parameter is invalid; see `message`.")


@extend_schema_view(
    list=extend_schema(
        summary="List products",
        description="Active products, filtered by `category`, searched with `search` (words or "
        "their synonyms, see the parameter) and sorted by `ordering`; paginated.",
        parameters=[ProductFilterSerializer],
        responses={
            200: ProductListSerializer(many=True),
            400: _BAD_FILTER,
            404: OpenApiResponse(description="No such page."),
        },
    ),
    retrieve=extend_schema(
        summary="Show a product", responses={200: ProductDetailSerializer, 404: _NOT_FOUND}
    ),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Active products of the catalog, looked up by slug."""

    lookup_field = "slug"
    permission_classes = [AllowAny]

    def list(self, request: Request, *args, **kwargs) -> Response:
        # Shared by every client asking the same: the links in it are absolute, so the scheme
        # and host are part of what it depends on. Refusals (400, 404) are not stored.
        parts = (request.build_absolute_uri("/"), cache.query_parts(request))
        return Response(cache.shared("product-list-api", parts, lambda: self._plain_list(request)))

    def _plain_list(self, request: Request):
        # Stored as plain JSON values: DRF's links keep their model object, which would be
        # pickled (with its category and stock) and unpickled on every hit.
        data = super().list(request).data
        return json.loads(JSONRenderer().render(data))

    def get_serializer_class(self):
        return ProductDetailSerializer if self.action == "retrieve" else ProductListSerializer

    def get_queryset(self) -> QuerySet[Product]:
        if self.action != "list":
            return selectors.product_detail_queryset()
        params = ProductFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.product_list(
            category_slug=params.validated_data.get("category"),
            search=params.validated_data.get("search"),
            sort=params.validated_data.get("ordering"),
        )


@extend_schema_view(list=extend_schema(summary="List categories"))
class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Categories with at least one active product, in shop order. Not paginated: few rows."""

    serializer_class = CategorySerializer
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()
