"""Helpers for the preference tests: drive the real pipeline synchronously (plan events, send what
is due) for a customer with orders and shipments moved by the domain services."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.utils import timezone

from catalogue.shipped import ensure_catalogue
from notifications.models import Event
from notifications.selectors import deliveries_due
from notifications.services.dispatch import delivery_send
from notifications.services.planning import event_process
from orders.services import LineInput, order_create, shipment_create, shipment_event_record
from preferences.models import CustomerPreferences
from tests import knobs
from tests.factories import CustomerFactory, SalesChannelFactory

UTC = dt.UTC


def at(zone: str, *args) -> dt.datetime:
    """A wall-clock moment in ``zone`` as a UTC instant."""
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def instant_pipeline() -> knobs.Knobs:
    """The catalogue installed, no coalescing waits, a sandbox that never fails."""
    ensure_catalogue()
    return knobs.instant()


def prefs_for(customer, **fields) -> CustomerPreferences:
    prefs, _ = CustomerPreferences.objects.update_or_create(customer=customer, defaults=fields)
    customer.refresh_from_db()
    return prefs


def process_events(*, now=None) -> None:
    for event_id in Event.objects.filter(processed_at__isnull=True).order_by("id").values_list("id", flat=True):
        event_process(event_id=event_id)


def send_due(*, rounds: int = 20) -> int:
    sent = 0
    for _ in range(rounds):
        due = list(deliveries_due(now=timezone.now()).values_list("pk", flat=True))
        if not due:
            return sent
        for delivery_id in due:
            delivery_send(delivery_id=delivery_id)
        sent += len(due)
    raise AssertionError("deliveries still due")


def run_pipeline() -> None:
    """Plan every waiting event, then send what is due (and its retries and fallbacks)."""
    process_events()
    send_due()


def order_with_shipment(*, customer, channel):
    number = customer.orders.count() + 1
    order, _ = order_create(
        sales_channel=channel,
        external_id=f"ORD-{customer.pk}-{number}",
        customer=customer,
        lines=[LineInput(sku="TENT-1", quantity=1, unit_price=Decimal("300"))],
    )
    shipment, _ = shipment_create(
        order=order, carrier="ups", tracking_number=f"1Z{customer.pk:06d}{number:04d}", lines=[(order.lines.get(), 1)]
    )
    return order, shipment


def customer_with_shipment(*, channel=None, prefs=None, **customer_fields):
    """A new customer with one placed order and its shipment, and the preferences given."""
    channel = channel or SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand, **customer_fields)
    CustomerPreferences.objects.create(customer=customer, **{"quiet_hours_enabled": False, **(prefs or {})})
    order, shipment = order_with_shipment(customer=customer, channel=channel)
    return customer, order, shipment


def carrier_scan(shipment, status: str, *, minutes_ago: int = 0):
    occurred_at = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    return shipment_event_record(
        shipment=shipment,
        status=status,
        occurred_at=occurred_at,
        carrier_code=status.upper()[:6],
        description=f"carrier says {status}",
    ).event


def make_due(queryset) -> None:
    """The wait is over: move ``send_after`` of these rows to a second ago."""
    queryset.update(send_after=timezone.now() - dt.timedelta(seconds=1))


class Clock:
    """The time ``django.utils.timezone.now()`` answers, set by the test (every service calls it
    through the module, so planning, the sweeper's query and the dispatcher all see it)."""

    def __init__(self, monkeypatch, start: dt.datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: dt.datetime) -> None:
        self.now = moment
