"""SMS test fixtures: a fake Vonage (TLS, throwaway CA) and a fake Twilio on 127.0.0.1, settings that
point the real SDKs at them, and helpers that drive the real pipeline synchronously (plan each event,
send each due delivery and its retries and fallbacks) as the workers would."""

import time
from decimal import Decimal

import jwt
import pytest
from django.utils import timezone

from catalogue.shipped import ensure_catalogue
from channels.webhooks_sms import vonage_sign
from notifications.models import Event
from notifications.selectors import deliveries_due
from notifications.services.dispatch import delivery_send
from notifications.services.planning import event_process
from orders.services import LineInput, order_create, shipment_create, shipment_event_record
from tests import knobs
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.fakes.twilio import FakeTwilio
from tests.fakes.vonage import FakeVonage

SIGNATURE_SECRET = "sig-secret-for-tests-0123456789abcdef"
TWILIO_TOKEN = "twilio-token-for-tests"
US_NUMBER = "+12025550100"


@pytest.fixture(scope="session")
def vonage_server():
    server = FakeVonage.create().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def twilio_server():
    server = FakeTwilio.create().start()
    yield server
    server.stop()


@pytest.fixture
def fake_vonage(vonage_server):
    vonage_server.reset()
    vonage_server.clear_faults()
    vonage_server.set_dlr(None)
    vonage_server.mode = "ok"
    return vonage_server


@pytest.fixture
def fake_twilio(twilio_server):
    twilio_server.reset()
    twilio_server.clear_faults()
    twilio_server.mode = "ok"
    return twilio_server


@pytest.fixture
def sms_providers(settings, fake_vonage, fake_twilio):
    """Vonage first, Twilio second, everywhere; the real SDKs talking to the fakes."""
    settings.VONAGE_API_KEY, settings.VONAGE_API_SECRET = "key", "secret"
    settings.VONAGE_SIGNATURE_SECRET, settings.VONAGE_SIGNATURE_METHOD = SIGNATURE_SECRET, "md5hash"
    settings.VONAGE_REST_HOST = settings.VONAGE_API_HOST = fake_vonage.netloc
    settings.VONAGE_CA_BUNDLE = fake_vonage.ca_path
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC0123456789", TWILIO_TOKEN
    settings.TWILIO_API_BASE = fake_twilio.base_url
    settings.SMS_ROUTES = "*=vonage,twilio"
    settings.SMS_SENDER_NUMBERS = {"US": US_NUMBER, "CA": US_NUMBER}
    settings.SMS_RATE_LIMITS = {}
    settings.SITE_URL = "http://testserver"
    return settings


@pytest.fixture
def instant(db):
    """No waits (coalescing and backoff scaled to 0); the shipped catalogue installed."""
    ensure_catalogue()
    return knobs.instant()


def run_pipeline(rounds: int = 30) -> None:
    for event_id in Event.objects.filter(processed_at__isnull=True).order_by("id").values_list("id", flat=True):
        event_process(event_id=event_id)
    for _ in range(rounds):
        due = list(deliveries_due(now=timezone.now()).values_list("pk", flat=True))
        if not due:
            return
        for delivery_id in due:
            delivery_send(delivery_id=delivery_id)
    raise AssertionError("deliveries still due")


def midday_zone() -> str:
    """A time zone where it is about noon now, so quiet hours never hold the tests' texts."""
    offset = 12 - timezone.now().hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def customer_with_shipment(**customer_fields):
    channel = SalesChannelFactory()
    customer_fields.setdefault("time_zone", midday_zone())
    customer = CustomerFactory(brand=channel.brand, **customer_fields)
    order, _ = order_create(
        sales_channel=channel,
        external_id=f"ORD-{customer.pk}",
        customer=customer,
        lines=[LineInput(sku="TENT-1", quantity=1, unit_price=Decimal("300"))],
    )
    shipment, _ = shipment_create(
        order=order,
        carrier="ups",
        tracking_number=f"1Z{customer.pk:08d}",
        tracking_url=f"https://track.example/1Z{customer.pk:08d}",
        lines=[(order.lines.get(), 1)],
    )
    return customer, shipment


def scan(shipment, status: str):
    return shipment_event_record(
        shipment=shipment,
        status=status,
        occurred_at=timezone.now(),
        carrier_code=status.upper()[:6],
        description=f"carrier says {status}",
    ).event


def signed_vonage(params: dict, **kwargs) -> dict:
    return vonage_sign(params, secret=kwargs.pop("secret", SIGNATURE_SECRET), method=kwargs.pop("method", "md5hash"))


def messages_jwt(body: bytes, *, secret: str = SIGNATURE_SECRET, iat: float | None = None, payload_hash=None) -> str:
    import hashlib

    claims = {
        "iat": int(iat if iat is not None else time.time()),
        "jti": "x",
        "payload_hash": payload_hash or hashlib.sha256(body).hexdigest(),
        "api_key": "key",
    }
    return jwt.encode(claims, secret, algorithm="HS256")
