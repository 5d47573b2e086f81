from django.urls import path
from rest_framework.routers import SimpleRouter

from orders.api import CartLinesView, CartLineView, CartView, OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("cart/", CartView.as_view(), name="cart"),
    path("cart/lines/", CartLinesView.as_view(), name="cart_lines"),
    path("cart/lines/<int:product_id>/", CartLineView.as_view(), name="cart_line"),
    *router.urls,
]
