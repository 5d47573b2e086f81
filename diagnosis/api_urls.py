from rest_framework.routers import SimpleRouter

from diagnosis.api import DiagnosisViewSet

router = SimpleRouter()
router.register("diagnoses", DiagnosisViewSet, basename="diagnosis")

urlpatterns = router.urls
