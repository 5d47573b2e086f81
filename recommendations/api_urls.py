from django.urls import path

from recommendations.api import CartKitsView, RecommendationView

urlpatterns = [
    path("recommendations/", RecommendationView.as_view(), name="recommendations"),
    path("cart/kits/", CartKitsView.as_view(), name="cart_kits"),
]
