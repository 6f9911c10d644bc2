"""Intake routes (included at the site root): source and carrier webhooks, and the partner
API's intake endpoints (token-authenticated like the rest of ``/api/v1/``)."""

from django.urls import path

from intake.api import MarketplaceReportView, OrderIntakeView
from intake.webhooks import carrier_webhook, shopify_webhook, woocommerce_webhook

urlpatterns = [
    path("intake/shopify/<slug:channel_slug>/", shopify_webhook, name="intake-shopify"),
    path("intake/woocommerce/<slug:channel_slug>/", woocommerce_webhook, name="intake-woocommerce"),
    path("webhooks/carriers/<slug:carrier>/", carrier_webhook, name="carrier-webhook"),
    path("api/v1/intake/marketplace/", MarketplaceReportView.as_view(), name="intake-marketplace"),
    path("api/v1/intake/orders/", OrderIntakeView.as_view(), name="intake-orders"),
]
