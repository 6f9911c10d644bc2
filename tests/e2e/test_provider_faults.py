"""End to end against a Postmark-shaped ESP (the fake, reached over HTTP by the real anymail
backend in a real worker): a brownout (answers after the client's timeout, connections dropped
after the ESP took the email, 500s) and a worker SIGKILLed while its emails are in flight. The
ESP takes no idempotency key, so only reconciliation keeps each email single: counted in the
ESP's own ledger of what it accepted. (``make chaos`` runs the full-size versions.)"""

import time

import pytest

from notifications.models import Delivery, DeliveryAttempt
from tests.e2e.helpers import S, place_order, scan, ship, shop
from tests.fakes.esp import FakeESP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D, A = Delivery.Status, DeliveryAttempt.Outcome


@pytest.fixture
def esp(settings):
    """The fake ESP, and this process and the workers pointed at it (email only: no SMS)."""
    with FakeESP(hang_seconds=3.0) as fake:
        anymail = {"POSTMARK_SERVER_TOKEN": "e2e-token", "POSTMARK_API_URL": fake.url, "REQUESTS_TIMEOUT": 1.0}
        settings.ANYMAIL = anymail
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.WAYPOST_PROVIDERS = {**settings.WAYPOST_PROVIDERS, "email": "postmark"}
        fake.env = {
            "EMAIL_PROVIDER": "postmark",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": "e2e-token",
            "ANYMAIL_POSTMARK_API_URL": fake.url,
            "ANYMAIL_REQUESTS_TIMEOUT": "1",
            "RECONCILE_FIRST_LOOKUP_SECONDS": "0.5",
            "RECONCILE_SETTLE_SECONDS": "postmark=2",
        }
        yield fake


def _journeys(channel, numbers):
    for number in numbers:
        order = place_order(channel=channel, number=number, phone="")
        shipment = ship(order)
        scan(shipment, S.DELIVERED)


def _restart(worker, env: dict) -> None:
    worker.stop()
    worker.env.update(env)
    worker.start()


def test_an_esp_brownout_sends_every_email_once(worker, settle, esp):
    # given an ESP that hangs past the client's timeout on 10% of sends, drops the connection
    # after taking the email on 5% and answers 500 on 5%
    _restart(worker, esp.env)
    esp.set_faults(hang=0.10, drop=0.05, http500=0.05, seed=11)
    brand, channel = shop()

    # when 30 customers' orders are placed, shipped and delivered
    _journeys(channel, range(30))
    report = settle(brand, timeout=240)

    # then the faults happened, and the ones whose outcome was unknown were found at the ESP
    faults = {m["fault"] for m in esp.accepted()["messages"]}
    assert faults & {"hang", "drop"}, faults
    found = DeliveryAttempt.objects.filter(delivery__notification__brand=brand, resolution="found").count()
    assert found > 0
    # and, counted at the ESP, no email was taken twice and none Waypost calls sent is missing
    assert (report["duplicates"], report["lost"], report["unmeasured_providers"]) == (0, 0, {}), report
    assert report["accepted_at_provider"] == report["deliveries"].get(D.SENT), report


def test_a_worker_killed_with_emails_in_flight_sends_each_once(worker, settle, esp, knobs):
    # given an ESP slow enough (300 ms an answer) that emails are in flight at any moment
    esp.latency_ms = 300
    _restart(worker, {**esp.env, "DELIVERY_LEASE_MARGIN_SECONDS": "2"})
    brand, channel = shop()
    _journeys(channel, range(40))

    # when the worker is SIGKILLed once the ESP has taken some of them, and a new one started
    deadline = time.monotonic() + 60
    while esp.accepted()["total"] < 3 or not Delivery.objects.filter(status=D.SENDING).exists():
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)
    worker.kill()
    in_flight = Delivery.objects.filter(notification__brand=brand, status=D.SENDING).count()
    esp.latency_ms = 0
    worker.start()
    report = settle(brand, timeout=300)

    # then the kill interrupted sends, which were reconciled with the ESP, not resent blindly
    assert in_flight > 0
    assert DeliveryAttempt.objects.filter(delivery__notification__brand=brand, error_code="lease_expired").exists()
    # and, counted at the ESP, every email went once
    assert (report["duplicates"], report["lost"], report["unmeasured_providers"]) == (0, 0, {}), report
    assert report["accepted_at_provider"] == report["deliveries"].get(D.SENT), report
