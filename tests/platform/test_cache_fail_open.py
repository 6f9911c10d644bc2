"""A Redis cache (``CACHE_URL=rediscache://...``) that is unreachable fails open: the partner
API's throttle lets requests through with a warning instead of answering 500, and the cache
answers as an empty one that stores nothing."""

import pytest
from django.core.cache import cache

from partners.auth import PartnerRateThrottle
from tests.factories import SalesChannelFactory
from tests.redis_server import free_port


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return cache


@pytest.mark.django_db
def test_the_partner_api_answers_while_its_throttle_cache_is_unreachable(
    unreachable_cache, partner_factory, monkeypatch, caplog
):
    # given a partner throttled at 2 requests a minute, counted in a Redis that is down
    monkeypatch.setattr(PartnerRateThrottle, "rate", "2/minute", raising=False)
    _, client = partner_factory(SalesChannelFactory(slug="acme-web"))

    # when it makes three requests
    answers = [client.get("/api/v1/orders/").status_code for _ in range(3)]

    # then each was answered (the throttle could not count), and a warning said why
    assert answers == [200, 200, 200]
    assert any(r.name == "core.cache" and "cache unreachable" in r.getMessage() for r in caplog.records)


def test_an_unreachable_cache_answers_as_an_empty_one(unreachable_cache):
    # given a Redis cache that is down
    # when values are stored and read
    # then nothing is stored, reads give the defaults and an add says it stored (go ahead)
    assert unreachable_cache.set("k", 1) is None
    assert unreachable_cache.get("k", "none") == "none"
    assert unreachable_cache.get_many(["k"]) == {}
    assert unreachable_cache.add("cooldown", 1, 600) is True
    assert unreachable_cache.delete("k") is False
    with pytest.raises(ValueError):
        unreachable_cache.incr("k")
