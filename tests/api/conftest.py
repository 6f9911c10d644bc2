"""Fixtures for the partner API tests: a partner with one channel, a foreign channel, payloads."""

import pytest
from django.core.cache import cache

from tests.factories import SalesChannelFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Throttle counters live in the cache, which outlives each test's database rollback.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def channel(db):
    return SalesChannelFactory(slug="acme-web")


@pytest.fixture
def foreign_channel(db):
    return SalesChannelFactory(slug="rival-web")


@pytest.fixture
def partner_client(partner_factory, channel):
    _, client = partner_factory(channel)
    return client


@pytest.fixture
def order_payload(channel):
    def make(external_id="1001", **overrides):
        payload = {
            "sales_channel": channel.slug,
            "external_id": external_id,
            "customer": {
                "external_id": "cust-1",
                "name": "Ana Pérez",
                "email": "ana@example.com",
                "phone": "+52 55 1234 5678",
                "language": "es-mx",
                "time_zone": "America/Mexico_City",
                "country": "MX",
            },
            "lines": [
                {"sku": "SHOE-1", "name": "Trail shoe", "quantity": 2, "unit_price": "59.90"},
                {"sku": "SOCK-1", "name": "Socks", "quantity": 1, "unit_price": "9.90"},
            ],
            "currency": "MXN",
        }
        payload.update(overrides)
        return payload

    return make


@pytest.fixture
def create_order(partner_client, order_payload):
    def make(external_id="1001", **overrides):
        response = partner_client.post("/api/v1/orders/", order_payload(external_id, **overrides), format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return make
