"""Building journeys through the real domain services (so signals, events and on-commit queueing
all happen as in production) and reading back what the pipeline did."""

from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from channels.models import SandboxMessage
from notifications.models import Delivery, DeliveryAttempt, Notification
from orders.models import Shipment
from orders.services import LineInput, order_create, shipment_create, shipment_event_record
from preferences.services import preferences_save
from tests.factories import CustomerFactory, SalesChannelFactory

S = Shipment.Status


def shop():
    """A brand with one sales channel; the brand scopes ``pipeline_report``."""
    channel = SalesChannelFactory()
    return channel.brand, channel


def place_order(*, channel, number: int, customer=None, **customer_fields):
    if customer is None:
        customer = CustomerFactory(brand=channel.brand, **customer_fields)
        # No quiet hours: the tests run at any hour, and held SMS would wait for the morning.
        preferences_save(customer=customer, data={"quiet_hours": {"enabled": False}}, source="test")
    order, created = order_create(
        sales_channel=channel,
        external_id=f"E2E-{number}",
        customer=customer,
        lines=[LineInput(sku="TR-42", name="Trail runner", quantity=1, unit_price=Decimal("89.00"))],
        actor="test:e2e",
    )
    assert created
    return order


def ship(order, *, status=S.SHIPPED) -> Shipment:
    shipment, created = shipment_create(
        order=order,
        carrier="ups",
        tracking_number=f"1ZE2E{order.pk:010d}",
        tracking_url=f"https://track.example/1ZE2E{order.pk:010d}",
        status=status,
        actor="test:e2e",
    )
    assert created
    return shipment


def scan(shipment, status) -> None:
    recorded = shipment_event_record(
        shipment=shipment,
        status=status,
        occurred_at=timezone.now(),
        carrier_code=status.upper(),
        description=f"Scan: {status}",
        actor="carrier:e2e",
    )
    assert recorded.created


def deliveries_by_channel(notification: Notification) -> dict[str, str]:
    return dict(notification.deliveries.values_list("channel", "status"))


def messages_per_delivery(brand) -> dict[int, int]:
    """Sandbox messages recorded per delivery of the brand's notifications."""
    rows = (
        SandboxMessage.objects.filter(delivery__notification__brand=brand)
        .values("delivery_id")
        .annotate(n=Count("id"))
        .values_list("delivery_id", "n")
    )
    return dict(rows)


def assert_each_sent_delivery_sent_once(brand) -> int:
    """Every delivered/sent delivery has exactly one accepted attempt and one sandbox message,
    and nothing else has either. Returns how many were sent."""
    sent = set(
        Delivery.objects.filter(
            notification__brand=brand, status__in=[Delivery.Status.DELIVERED, Delivery.Status.SENT]
        ).values_list("pk", flat=True)
    )
    accepted = dict(
        DeliveryAttempt.objects.filter(delivery__notification__brand=brand, outcome=DeliveryAttempt.Outcome.ACCEPTED)
        .values("delivery_id")
        .annotate(n=Count("id"))
        .values_list("delivery_id", "n")
    )
    assert accepted == {pk: 1 for pk in sent}
    assert messages_per_delivery(brand) == {pk: 1 for pk in sent}
    return len(sent)
