"""Encoding and segments against known cases, cost, routes and their startup check, the sender per
country, the shared rate limit and the per-customer SMS cap."""

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalogue.sms_encoding import estimated_cost, sms_stats
from channels.ratelimit import throttle
from channels.routing import check_providers, parse_routes, sms_provider_name, sms_sender


@pytest.mark.parametrize(
    "text,encoding,units,segments,forced",
    [
        ("a" * 160, "GSM-7", 160, 1, []),
        ("a" * 161, "GSM-7", 161, 2, []),
        ("a" * 306, "GSM-7", 306, 2, []),
        ("a" * 307, "GSM-7", 307, 3, []),
        ("é ñ ü à Ç", "GSM-7", 9, 1, []),  # accented letters GSM-7 has
        ("{}" + "a" * 156, "GSM-7", 160, 1, []),  # extension characters count two
        ("€" + "a" * 159, "GSM-7", 161, 2, []),
        ("á" + "a" * 69, "UCS-2", 70, 1, ["á"]),  # one non-GSM letter switches the whole message
        ("á" + "a" * 70, "UCS-2", 71, 2, ["á"]),
        ("On its way 🚚", "UCS-2", 13, 1, ["🚚"]),  # an emoji is two UTF-16 units
    ],
)
def test_encoding_and_segments(text, encoding, units, segments, forced):
    stats = sms_stats(text)
    assert (stats.encoding, stats.units, stats.segments, stats.ucs2_forced_by) == (encoding, units, segments, forced)


def test_an_escape_pair_is_not_split_across_segments():
    # 152 plain characters then "€": the pair does not fit in the first 153 septets with room to spare
    assert sms_stats("a" * 152 + "€" + "a" * 10).segments == 2
    assert sms_stats("a" * 152 + "€" + "a" * 152).segments == 3  # 306 septets, yet three segments


def test_estimated_cost(settings):
    settings.SMS_PRICES = "vonage:FR=0.07,vonage:*=0.05,twilio:US=0.008"
    assert estimated_cost("a" * 161, provider="vonage", country="FR") == Decimal("0.14")
    assert estimated_cost("hi", provider="vonage", country="DE") == Decimal("0.05")
    assert estimated_cost("hi", provider="twilio", country="DE") is None


def test_routes_and_failover_order(settings):
    settings.SMS_ROUTES = "US,CA=twilio,vonage;*=vonage,twilio"
    assert parse_routes(settings.SMS_ROUTES)["CA"] == ["twilio", "vonage"]
    assert [sms_provider_name("+14155550100", attempt_number=n) for n in (1, 2, 3)] == ["twilio", "vonage", "twilio"]
    assert sms_provider_name("+33612345678") == "vonage"


def test_a_route_to_an_unconfigured_provider_stops_startup(settings):
    settings.SMS_ROUTES = "*=vonage,twilio"
    settings.VONAGE_API_KEY = settings.VONAGE_API_SECRET = ""
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC1", "t"
    with pytest.raises(ImproperlyConfigured, match="'vonage': set VONAGE_API_KEY, VONAGE_API_SECRET"):
        check_providers()
    settings.SMS_ROUTES = "*=vonage,bogus"
    settings.VONAGE_API_KEY = settings.VONAGE_API_SECRET = "x"
    with pytest.raises(ImproperlyConfigured, match="unknown provider 'bogus'"):
        check_providers()


def test_sender_per_country(settings):
    settings.SMS_SENDER_NUMBERS = {"US": "+12025550100"}
    assert sms_sender(country="US", sender_id="WAYPOST", sender_number="") == "+12025550100"
    assert sms_sender(country="CA", sender_id="WAYPOST", sender_number="+15145550100") == "+15145550100"
    assert sms_sender(country="FR", sender_id="WAYPOST", sender_number="+15145550100") == "WAYPOST"


@pytest.mark.parametrize("backend", ["file", "redis"])
def test_rate_limit_makes_sends_wait(settings, tmp_path, backend):
    # given a limit of 20 requests/s (file bucket, or Redis when one answers)
    settings.DATA_DIR = tmp_path
    if backend == "redis":
        import redis

        try:
            redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1")
        settings.REDIS_URL = "redis://127.0.0.1:6379/15"
        redis.Redis.from_url(settings.REDIS_URL).delete(f"waypost:ratelimit:test-{backend}")
    else:
        settings.REDIS_URL = ""

    # when 30 sends go as fast as they can
    started = time.monotonic()
    for _ in range(30):
        throttle(f"test-{backend}", rate=20)
    elapsed = time.monotonic() - started

    # then they took about 30/20 s (the burst of 2 aside): waited, none dropped
    assert 1.3 <= elapsed <= 6  # the upper bound only catches a stuck bucket (a loaded machine is slow)


@pytest.mark.django_db
def test_customer_cap_defers_non_critical_sms(sms_providers, instant, fake_vonage):
    # given a cap of 1 SMS per (scaled) hour and a customer who was just texted
    from notifications.models import Delivery
    from tests.sms.conftest import customer_with_shipment, run_pipeline, scan

    sms_providers.SMS_CUSTOMER_CAP_PER_HOUR = 1
    # The hour is 36 s: wide enough that a loaded machine cannot let it pass between two sends.
    instant.time_scale = 0.01
    instant.save()
    _customer, shipment = customer_with_shipment(phone="+33612348001", country="FR")
    scan(shipment, "shipped")
    run_pipeline()  # plans it; the "shipped" coalescing window is 0.6 s
    time.sleep(0.7)
    run_pipeline()
    assert Delivery.objects.filter(channel="sms", status="sent").count() == 1

    # when the next update is due at once
    scan(shipment, "delivered")
    run_pipeline()

    # then its SMS waits for the window (deferred, not dropped), and goes once the hour has passed
    later = Delivery.objects.get(channel="sms", notification__notification_type__key="shipment_delivered")
    assert later.status == "pending" and later.send_after > later.created_at
    time.sleep(
        max(0.0, (later.send_after - __import__("django.utils.timezone").utils.timezone.now()).total_seconds()) + 0.1
    )
    run_pipeline()
    later.refresh_from_db()
    assert later.status == "sent" and len(fake_vonage.sent("/sms/json")) == 2
