"""Issue 6 acceptance, end to end through the real pipeline (domain services -> outbox events ->
planner -> dispatcher -> sandbox provider):
1. the link in a sandbox message opens the center in headless Chromium; switching "shipped" off
   for SMS means the next shipment's "shipped" notice goes by email only (tests/preferences/
   test_browser.py::test_acceptance_1_...);
2. a non-critical SMS planned at 23:00 customer time is sent at 08:00 customer time; a critical one at once;
3. a customer on a daily digest gets one message with three held updates, once."""

import datetime as dt

import pytest

from channels.models import SandboxMessage
from notifications.models import Delivery, Digest, Notification
from notifications.services.digests import digests_build_due
from preferences.models import CustomerPreferences
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.preferences.helpers import (
    Clock,
    at,
    carrier_scan,
    instant_pipeline,
    order_with_shipment,
    process_events,
    send_due,
)

pytestmark = pytest.mark.django_db


@pytest.mark.quiet_hours
def test_acceptance_2_sms_at_23_waits_for_08_customer_time_and_critical_goes_at_once(monkeypatch):
    # Given a New York customer who never changed the default quiet hours (21:00-08:00 for SMS)
    instant_pipeline()
    clock = Clock(monkeypatch, at("America/New_York", 2026, 3, 7, 22, 50))
    channel = SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand, time_zone="America/New_York")
    _order, shipment = order_with_shipment(customer=customer, channel=channel)
    # When the shipment ships at 23:00 their time (the night New York moves its clocks forward)
    clock.set(at("America/New_York", 2026, 3, 7, 23, 0))
    carrier_scan(shipment, "shipped")
    process_events()
    send_due()
    shipped = Notification.objects.get(customer=customer, notification_type__key="shipment_shipped")
    sms = shipped.deliveries.get(channel="sms")
    # Then email went at once, the SMS is held (and the notification says why)
    assert shipped.deliveries.get(channel="email").status == Delivery.Status.DELIVERED
    assert sms.status == Delivery.Status.PENDING and shipped.hold == "quiet_hours"
    assert "quiet hours" in shipped.reason and "08:00" in shipped.reason
    # And at 07:59 their time nothing is sent
    clock.set(at("America/New_York", 2026, 3, 8, 7, 59))
    send_due()
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.PENDING
    # At 08:00 their time (12:00 UTC, after the DST change) the SMS goes
    clock.set(at("America/New_York", 2026, 3, 8, 8, 0))
    assert clock.now == dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC)
    send_due()
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.DELIVERED and sms.sent_at == clock.now
    assert SandboxMessage.objects.filter(delivery=sms, channel="sms", to=customer.phone).count() == 1

    # When a critical delivery problem happens at 23:00 the next night
    clock.set(at("America/New_York", 2026, 3, 8, 23, 0))
    carrier_scan(shipment, "delivery_exception")
    process_events()
    send_due()
    # Then its SMS goes at once
    exception = Notification.objects.get(customer=customer, notification_type__key="shipment_exception")
    critical_sms = exception.deliveries.get(channel="sms")
    assert exception.hold == "" and critical_sms.status == Delivery.Status.DELIVERED
    assert critical_sms.sent_at == at("America/New_York", 2026, 3, 8, 23, 0)


def test_acceptance_3_daily_digest_one_message_with_three_held_updates_once(monkeypatch):
    # Given a customer whose orders are confirmed, then who chose a daily digest at 18:00 for shipping
    instant_pipeline()
    clock = Clock(monkeypatch, dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC))
    channel = SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand, time_zone="Europe/London", language="en")
    shipments = [order_with_shipment(customer=customer, channel=channel)[1] for _ in range(3)]
    process_events()
    send_due()
    CustomerPreferences.objects.create(
        customer=customer, rhythm={"shipping": "daily"}, digest_hour=18, quiet_hours_enabled=False
    )
    before = SandboxMessage.objects.count()
    # When three shipments ship during the day
    for hour, shipment in zip((10, 12, 14), shipments, strict=False):
        clock.set(dt.datetime(2026, 6, 10, hour, 0, tzinfo=dt.UTC))
        carrier_scan(shipment, "shipped")
        process_events()
        send_due()
    # Then nothing is sent yet: three updates are held for the digest, each saying why
    assert SandboxMessage.objects.count() == before
    held = Notification.objects.filter(customer=customer, hold="digest", status="planned")
    assert held.count() == 3 and all("daily digest" in n.reason for n in held)
    # When the digest builder runs before 18:00 London time, nothing; at 18:00 (17:00 UTC), and again
    clock.set(at("Europe/London", 2026, 6, 10, 17, 59))
    assert digests_build_due() == []
    clock.set(at("Europe/London", 2026, 6, 10, 18, 0))
    first = digests_build_due()
    send_due()
    again = digests_build_due()
    send_due()
    # Then one email digest lists the three updates, sent once (and one SMS digest, the rule's other channel)
    assert again == [] and sorted(d.channel for d in first) == ["email", "sms"]
    digests = list(SandboxMessage.objects.filter(to__in=[customer.email, customer.phone]).order_by("id"))[before:]
    assert sorted(m.channel for m in digests) == ["email", "sms"]
    [email] = [m for m in digests if m.channel == "email"]
    assert email.subject == f"Your updates from {customer.brand.name} (3)"
    assert email.body_text.count("\n- ") == 3
    for shipment in shipments:
        assert f"#{shipment.order.external_id}" in email.body_text
    [sms] = [m for m in digests if m.channel == "sms"]
    assert sms.body_text.startswith(f"{customer.brand.name}: 3 updates.")
    # And the held updates are marked as sent in that digest
    assert not Notification.objects.filter(customer=customer, hold="digest", status="planned").exists()
    assert (
        Notification.objects.filter(
            customer=customer, notification_type__key="shipment_shipped", status="sent", digest__isnull=False
        ).count()
        == 3
    )
    assert Digest.objects.filter(customer=customer).count() == 2
