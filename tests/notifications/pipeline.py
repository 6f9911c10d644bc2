"""Test helpers that drive the real notification pipeline synchronously: a customer's order and
shipment moved by the domain services, then what the workers would do (plan each event, send
each due delivery and its retries and fallbacks), called directly instead of through Celery."""

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


def instant_pipeline(*, fail_rate: float = 0.0) -> knobs.Knobs:
    """No waits (coalescing windows and backoff scaled to 0) and the sandbox's failure share."""
    ensure_catalogue()
    return knobs.instant(sandbox_fail_rate=fail_rate)


def process_events() -> None:
    """Plan every event not processed yet, oldest first (the events queue)."""
    for event_id in Event.objects.filter(processed_at__isnull=True).order_by("id").values_list("id", flat=True):
        event_process(event_id=event_id)


def send_round() -> int:
    """Send each delivery due now once; returns how many were tried."""
    due = list(deliveries_due(now=timezone.now()).values_list("pk", flat=True))
    for delivery_id in due:
        delivery_send(delivery_id=delivery_id)
    return len(due)


def send_due(*, rounds: int = 50) -> None:
    """Send every due delivery, then the retries and fallbacks that causes, until none is due
    (what the channel queues and the ``dispatch_due`` sweeper do)."""
    for _ in range(rounds):
        if not send_round():
            return
    raise AssertionError(f"deliveries still due after {rounds} rounds")


def run_pipeline() -> None:
    process_events()
    send_due()


def order_with_shipment(*, customer, channel):
    """A placed order (one line) of ``customer`` in ``channel``, with its shipment just created."""
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


def customer_with_shipment(*, channel=None, **customer_fields):
    """A new customer of ``channel``'s brand with one placed order and its shipment. Quiet hours
    are off, so what is sent does not depend on the time of day the test runs."""
    channel = channel or SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand, **customer_fields)
    CustomerPreferences.objects.create(customer=customer, quiet_hours_enabled=False)
    order, shipment = order_with_shipment(customer=customer, channel=channel)
    return customer, order, shipment


def carrier_scan(shipment, status: str, *, minutes_ago: int = 0):
    """A carrier event for ``shipment`` recorded by the domain service (as the webhook would)."""
    occurred_at = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    return shipment_event_record(
        shipment=shipment,
        status=status,
        occurred_at=occurred_at,
        carrier_code=status.upper()[:6],
        description=f"carrier says {status}",
    ).event
