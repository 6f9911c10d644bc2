"""End to end with a real Celery worker: a committed status change becomes exactly the planned
deliveries; a carrier event posted twice through the partner API is one message; a permanent
failure falls back to the next channel, and when every channel fails the delivery is a dead
letter that an agent can requeue."""

import pytest
from django.utils import timezone

from catalogue.models import Rule
from channels.models import SandboxMessage
from core.models import AuditLog
from notifications.models import Delivery, DeliveryAttempt, Event, Notification
from notifications.services.dispatch import delivery_requeue
from orders.models import ShipmentEvent
from tests.e2e.helpers import S, assert_each_sent_delivery_sent_once, place_order, scan, ship, shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

D, N, A = Delivery.Status, Notification.Status, DeliveryAttempt.Outcome


def test_one_status_change_gives_exactly_the_planned_deliveries(worker, settle):
    # given a shipped order whose confirmation and "shipped" messages went out
    brand, channel = shop()
    order = place_order(channel=channel, number=1)
    shipment = ship(order)
    settle(brand)
    assert Notification.objects.filter(status=N.DELIVERED).count() == 2  # order_confirmed, shipment_shipped
    sent_before = SandboxMessage.objects.count()
    assert sent_before == 3  # confirmation by email; shipped by email and SMS

    # when the carrier reports it delivered (one committed status change)
    scan(shipment, S.DELIVERED)
    report = settle(brand)

    # then one event and one notification, sent by the default rule's plan: email and SMS at once
    assert Event.objects.filter(type="shipment.delivered").count() == 1
    notification = Notification.objects.get(notification_type__key="shipment_delivered")
    assert notification.status == N.DELIVERED
    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert sorted(deliveries) == ["email", "sms"]
    assert {c: d.status for c, d in deliveries.items()} == {"email": D.DELIVERED, "sms": D.DELIVERED}
    customer = order.customer
    assert (deliveries["email"].to, deliveries["sms"].to) == (customer.email, customer.phone)
    # and exactly one provider call and one recorded message per channel
    for channel_name, delivery in deliveries.items():
        attempts = list(delivery.attempts.values_list("number", "outcome", "idempotency_key"))
        assert attempts == [(1, A.ACCEPTED, f"wp-{delivery.pk}-1")]
        messages = list(SandboxMessage.objects.filter(delivery=delivery))
        assert len(messages) == 1
        assert (messages[0].channel, messages[0].to) == (channel_name, delivery.to)
        assert delivery.provider_message_id == f"sbx-{messages[0].pk}"
    assert SandboxMessage.objects.count() == sent_before + 2
    assert Notification.objects.count() == 3
    assert (report["lost"], report["duplicates"]) == (0, 0)


def test_the_same_carrier_event_posted_twice_through_the_api_is_one_message(worker, settle, partner_factory):
    # given a partner whose sales channel holds an order with a shipment (label created)
    brand, channel = shop()
    _partner, client = partner_factory(channel)
    order = place_order(channel=channel, number=1)
    shipment = ship(order, status=S.LABEL_CREATED)
    settle(brand)
    body = {
        "status": "delivered",
        "occurred_at": timezone.now().isoformat(),
        "carrier_code": "DL",
        "description": "Delivered, front door",
        "location": "Austin, TX",
    }

    # when the carrier's delivered scan is posted twice
    first = client.post(f"/api/v1/shipments/{shipment.pk}/events/", body, format="json")
    again = client.post(f"/api/v1/shipments/{shipment.pk}/events/", body, format="json")
    report = settle(brand)

    # then the API stored it once (201, then 200 for the repeat)
    assert (first.status_code, again.status_code) == (201, 200), (first.json(), again.json())
    assert first.json()["id"] == again.json()["id"]
    assert ShipmentEvent.objects.filter(shipment=shipment, status="delivered").count() == 1
    # and the pipeline saw one event, planned one notification and sent one message per channel
    assert Event.objects.filter(type="shipment.delivered", subject_id=shipment.pk).count() == 1
    notification = Notification.objects.get(notification_type__key="shipment_delivered")
    assert notification.status == N.DELIVERED
    assert sorted(
        SandboxMessage.objects.filter(delivery__notification=notification).values_list("channel", flat=True)
    ) == ["email", "sms"]
    assert assert_each_sent_delivery_sent_once(brand) == 3  # order confirmation + delivered (email, SMS)
    assert (report["lost"], report["duplicates"]) == (0, 0)


def test_permanent_failure_falls_back_to_the_next_channel(worker, settle):
    # given order confirmations planned email first, else SMS, for a customer whose email is undeliverable
    Rule.objects.filter(event_type="order.placed").update(channels=["email", "sms"], mode=Rule.Mode.FALLBACK)
    brand, channel = shop()

    # when the order is placed
    order = place_order(channel=channel, number=1, email="x@invalid.example")
    report = settle(brand)

    # then the email failed permanently at once and the SMS carried the message
    notification = Notification.objects.get(order=order, notification_type__key="order_confirmed")
    assert notification.status == N.DELIVERED
    email, sms = notification.deliveries.get(channel="email"), notification.deliveries.get(channel="sms")
    assert (email.status, sms.status) == (D.FAILED, D.DELIVERED)
    assert "invalid_recipient" in email.error
    assert list(email.attempts.values_list("outcome", "error_code")) == [(A.PERMANENT, "invalid_recipient")]
    assert list(sms.attempts.values_list("outcome", flat=True)) == [A.ACCEPTED]
    assert list(SandboxMessage.objects.values_list("channel", "to")) == [("sms", order.customer.phone)]
    assert (report["lost"], report["duplicates"]) == (0, 0)


def test_every_channel_failing_is_a_dead_letter_that_requeue_sends_again(worker, settle):
    # given the same fallback plan and a customer with no deliverable email or phone
    Rule.objects.filter(event_type="order.placed").update(channels=["email", "sms"], mode=Rule.Mode.FALLBACK)
    brand, channel = shop()

    # when the order is placed
    order = place_order(channel=channel, number=1, email="x@invalid.example", phone="+15005550006")
    report = settle(brand)

    # then the email fell back to SMS, which failed too: the SMS delivery is dead, so is the notification
    notification = Notification.objects.get(order=order, notification_type__key="order_confirmed")
    assert notification.status == N.DEAD
    assert dict(notification.deliveries.values_list("channel", "status")) == {"email": D.FAILED, "sms": D.DEAD}
    assert SandboxMessage.objects.count() == 0
    assert report["lost"] == 1  # a dead notification is exactly what "lost" counts
    dead = notification.deliveries.get(channel="sms")

    # when an agent requeues the dead delivery
    requeued = delivery_requeue(delivery=dead, actor="agent:e2e", reason="customer fixed their phone")

    # then it is pending again, due now, its retry budget reset, and the requeue is audited
    dead.refresh_from_db()
    assert (requeued.status, dead.status) == (D.PENDING, D.PENDING)
    assert dead.retry_floor == dead.attempt_count == 1
    assert dead.send_after <= timezone.now()
    assert (
        AuditLog.objects.filter(
            object_id=str(dead.pk), action="requeued", from_state=D.DEAD, to_state=D.PENDING, actor="agent:e2e"
        ).count()
        == 1
    )
    notification.refresh_from_db()
    assert notification.status == N.SENDING

    # when the dispatcher picks it up (the number is still undeliverable)
    settle(brand)

    # then it was really sent again (a second attempt) and, failing again, is dead again
    dead.refresh_from_db()
    assert dead.status == D.DEAD
    assert list(dead.attempts.values_list("number", "outcome")) == [(1, A.PERMANENT), (2, A.PERMANENT)]
    notification.refresh_from_db()
    assert notification.status == N.DEAD
