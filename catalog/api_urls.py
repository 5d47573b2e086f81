from rest_framework.routers import SimpleRouter

from catalog.api import CategoryViewSet, ProductViewSet

# SimpleRouter: no API root view, so the routers of other apps under /api/v1/ do not clash.
router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("categories", CategoryViewSet, basename="category")

urlpatterns = router.urls
