"""``/metrics``: off (404) without METRICS_TOKEN, 403 without the right bearer token, and the
Prometheus text with events, notifications, deliveries, latency histogram, queue depth,
retries and dead letters when asked properly."""

import pytest

from notifications.models import Delivery, DeliveryAttempt
from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline, run_pipeline

pytestmark = pytest.mark.django_db


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret").status_code == 403


def test_metrics_content(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    instant_pipeline()
    customer, order, shipment = customer_with_shipment()
    carrier_scan(shipment, "shipped")
    run_pipeline()
    delivery = Delivery.objects.first()
    DeliveryAttempt.objects.create(
        delivery=delivery, number=9, provider="vonage", idempotency_key="retry-9", outcome="transient", latency_ms=700
    )
    Delivery.objects.filter(pk=delivery.pk).update(status="dead")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    for family in (
        "waypost_events_total",
        "waypost_notifications",
        "waypost_deliveries",
        "waypost_delivery_attempts_total",
        "waypost_provider_latency_seconds",
        "waypost_queue_depth",
        "waypost_retries_total",
        "waypost_dead_letters",
    ):
        assert f"# TYPE {family} " in text, family
    lines = text.splitlines()
    assert 'waypost_provider_latency_seconds_bucket{provider="vonage",le="0.5"} 0' in lines
    assert 'waypost_provider_latency_seconds_bucket{provider="vonage",le="1"} 1' in lines
    assert 'waypost_provider_latency_seconds_bucket{provider="vonage",le="+Inf"} 1' in lines
    assert 'waypost_provider_latency_seconds_count{provider="vonage"} 1' in lines
    assert "waypost_dead_letters 1" in lines and "waypost_retries_total 1" in lines
    assert 'waypost_queue_depth{queue="events_unprocessed"} 0' in lines
