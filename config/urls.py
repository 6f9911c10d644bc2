"""URL map: admin, partner API v1 with its OpenAPI schema and docs, health probes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from channels.webhooks_email import webhook_urlpatterns
from config.health import healthz, readyz
from console import urls as console_urls
from insights import urls as insights_urls
from insights.metrics import metrics_view
from preferences.unsubscribe import unsubscribe_view

admin.site.site_header = "Waypost"
admin.site.site_title = "Waypost console"
admin.site.index_title = "Notifications for orders, backorders and returns"

urlpatterns = [
    # KPI dashboard, agent search, template studio: one "console" namespace
    path("admin/console/", include((console_urls.urlpatterns + insights_urls.urlpatterns, "console"))),
    path("admin/", include("config.moved_admin")),  # old addresses of models that moved app
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[], authentication_classes=[]),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", permission_classes=[], authentication_classes=[]),
        name="api-redoc",
    ),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus; bearer METRICS_TOKEN
    path("p/", include("preferences.urls")),
    path("", include("intake.urls")),  # /intake/<source>/<channel>/, /webhooks/carriers/<carrier>/
    path("webhooks/", include("channels.urls")),  # SMS/WhatsApp receipts and inbound texts
    path("anymail/", include((webhook_urlpatterns(), "anymail"))),  # email provider webhooks
    path("u/<str:token>/", unsubscribe_view, name="unsubscribe"),  # one-click unsubscribe (RFC 8058)
]

handler400 = "config.error_pages.bad_request"
handler403 = "config.error_pages.permission_denied"
handler404 = "config.error_pages.page_not_found"
handler500 = "config.error_pages.server_error"
