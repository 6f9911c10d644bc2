"""Email test fixtures: the fake ESP on 127.0.0.1 (one per session, emptied before each test), the
settings that point the real anymail Postmark or Mailgun backend at it, and helpers that drive the
real pipeline synchronously (plan the events, send what is due, then its retries and fallbacks)."""

import base64
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.shipped import ensure_catalogue
from notifications.models import Delivery, Event
from notifications.selectors import deliveries_reconcile_due
from notifications.services.dispatch import delivery_send
from notifications.services.planning import event_process
from notifications.services.reconcile import deliveries_reconcile
from orders.services import LineInput, order_create
from returns.models import ReturnRequest
from returns.services import return_create, return_transition
from tests import knobs
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.fakes.esp import FakeESP

WEBHOOK_SECRET = "anymail:hook-secret-123"


@pytest.fixture(scope="session")
def fake_esp_server():
    with FakeESP(hang_seconds=1.5) as esp:
        yield esp


@pytest.fixture
def fake_esp(fake_esp_server):
    fake_esp_server.reset()
    yield fake_esp_server
    fake_esp_server.reset()


def _providers(settings, email: str) -> dict:
    return {**settings.WAYPOST_PROVIDERS, "email": email, "sms": "sandbox"}


@pytest.fixture
def postmark(settings, fake_esp):
    """The real anymail Postmark backend, talking to the fake ESP."""
    settings.WAYPOST_PROVIDERS = _providers(settings, "postmark")
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "test-server-token",
        "POSTMARK_API_URL": fake_esp.url,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "REQUESTS_TIMEOUT": 0.5,
    }
    settings.RECONCILE_FIRST_LOOKUP_SECONDS = 0  # look a send whose outcome is unknown up at once
    return fake_esp


@pytest.fixture
def mailgun(settings, fake_esp):
    """The real anymail Mailgun backend, talking to the fake ESP."""
    settings.WAYPOST_PROVIDERS = _providers(settings, "mailgun")
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_API_URL": f"{fake_esp.url}v3",
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "REQUESTS_TIMEOUT": 0.5,
    }
    settings.RECONCILE_FIRST_LOOKUP_SECONDS = 0
    return fake_esp


@pytest.fixture(autouse=True)
def instant_pipeline(request):
    """The shipped catalogue, and no waits (coalescing windows and backoff scaled to 0). Browser
    tests need no database (and Playwright's event loop forbids opening one)."""
    if request.node.get_closest_marker("browser"):
        return None
    request.getfixturevalue("db")
    ensure_catalogue()
    return knobs.instant()


def process_events() -> None:
    for event_id in Event.objects.filter(processed_at__isnull=True).order_by("id").values_list("id", flat=True):
        event_process(event_id=event_id)


def send_due(*, rounds: int = 20) -> None:
    """Send every due delivery, then the retries and fallbacks that causes, and look up every
    send whose outcome is unknown when its look-up is due, until nothing is due."""
    for _ in range(rounds):
        due = list(
            Delivery.objects.filter(status=Delivery.Status.PENDING, send_after__lte=timezone.now())
            .order_by("id")
            .values_list("pk", flat=True)
        )
        look_up = list(deliveries_reconcile_due().values_list("pk", flat=True))
        if not due and not look_up:
            return
        for delivery_id in due:
            delivery_send(delivery_id=delivery_id)
        deliveries_reconcile(delivery_ids=look_up)
    raise AssertionError(f"deliveries still due after {rounds} rounds")


def run_pipeline() -> None:
    process_events()
    send_due()


def approved_return(**customer_fields) -> ReturnRequest:
    """A customer's order and its approved return (the return_approved rule: email, then SMS)."""
    channel = SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand, language=customer_fields.pop("language", "en"), **customer_fields)
    order, _ = order_create(
        sales_channel=channel,
        external_id=f"R-{customer.pk}",
        customer=customer,
        lines=[LineInput(sku="BOOT-1", name="Trail boot", quantity=1, unit_price=Decimal("89.00"))],
    )
    ret, _ = return_create(order=order, lines=[(order.lines.get(), 1)], reason="Too small")
    return return_transition(return_request=ret, to_status=ReturnRequest.Status.APPROVED)


def email_delivery(type_key: str) -> Delivery:
    return Delivery.objects.get(channel="email", notification__notification_type__key=type_key)


def postmark_sends_for(esp, type_key: str) -> list[dict]:
    return [r["json"] for r in esp.sends("postmark") if r["json"].get("Tag") == type_key]


def postmark_headers(payload: dict) -> dict:
    return {h["Name"]: h["Value"] for h in payload.get("Headers", [])}


def b64(data: str) -> bytes:
    return base64.b64decode(data)
