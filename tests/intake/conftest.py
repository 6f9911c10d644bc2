"""Fixtures for the intake tests: channels made the way ``add_sales_channel`` makes them,
signed webhook posts, and running what the intake worker would run, synchronously."""

import itertools

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from intake.models import IntakeRecord
from intake.services import intake_record_process, sales_channel_add
from tests.factories import BrandFactory, ProductFactory
from tests.intake.samples import b64_hmac
from tests.notifications.pipeline import instant_pipeline

SECRET = "shpss_test_secret_0123456789"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def brand(db):
    return BrandFactory(slug="acme")


@pytest.fixture
def channel_of(brand):
    def make(kind, slug=None, secret=SECRET):
        return sales_channel_add(
            brand=brand,
            name=f"Acme {kind}",
            slug=slug or f"acme-{kind}",
            kind=kind,
            webhook_secret=secret,
            actor="test",
        )

    return make


@pytest.fixture
def catalogue(brand):
    return [
        ProductFactory(brand=brand, sku="TR-42-BLK", name="Trail runner"),
        ProductFactory(brand=brand, sku="WS-3P", name="Wool socks"),
        ProductFactory(brand=brand, sku="RJ-M-NVY", name="Rain jacket"),
    ]


@pytest.fixture
def pipeline(db):
    return instant_pipeline()


@pytest.fixture
def post_shopify(client):
    def post(channel, topic, body: bytes, *, secret=SECRET, signature=None, webhook_id=None):
        return client.generic(
            "POST",
            f"/intake/shopify/{channel.slug}/",
            body,
            content_type="application/json",
            HTTP_X_SHOPIFY_TOPIC=topic,
            HTTP_X_SHOPIFY_HMAC_SHA256=signature if signature is not None else b64_hmac(secret, body),
            HTTP_X_SHOPIFY_WEBHOOK_ID=webhook_id or f"wh-{next(_ids)}",
            HTTP_X_SHOPIFY_SHOP_DOMAIN="acme.myshopify.com",
        )

    return post


@pytest.fixture
def post_woo(client):
    def post(channel, topic, body: bytes, *, secret=SECRET, signature=None):
        return client.generic(
            "POST",
            f"/intake/woocommerce/{channel.slug}/",
            body,
            content_type="application/json",
            HTTP_X_WC_WEBHOOK_TOPIC=topic,
            HTTP_X_WC_WEBHOOK_SIGNATURE=signature if signature is not None else b64_hmac(secret, body),
            HTTP_X_WC_WEBHOOK_DELIVERY_ID=str(next(_ids)),
        )

    return post


def process_received() -> list[IntakeRecord]:
    """What the intake worker does: process every waiting record, oldest first."""
    ids = IntakeRecord.objects.filter(status=IntakeRecord.Status.RECEIVED).order_by("id").values_list("id", flat=True)
    return [intake_record_process(record_id=pk) for pk in list(ids)]


@pytest.fixture
def partner_api(partner_factory):
    def make(*channels) -> APIClient:
        _partner, client = partner_factory(*channels)
        return client

    return make
