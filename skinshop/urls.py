from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from skinshop.views import favicon, healthz

api_v1 = [
    path("", include("catalog.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("recommendations.api_urls")),
    path("", include("diagnosis.api_urls")),
    path("", include("labelling.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its set-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("accounts/", include("accounts.urls")),
    path("routine/", include("recommendations.urls")),
    path("diagnosis/", include("diagnosis.urls")),
    path("labelling/", include("labelling.urls")),
    path("reminders/", include("reminders.urls")),
    path("", include("orders.urls")),
    path("", include("catalog.urls")),
]

if settings.DEBUG:
    # Catalog images from the local media folder; production serves them from the bucket.
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
