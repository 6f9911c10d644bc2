"""Batching on the hot path: the events one transaction writes share one planning message; a
planning batch isolates an event that fails; a batch of sends claims each due delivery exactly
once and leaves alone what is not due. Celery runs eagerly here (the real tasks, inline)."""

import pytest
from celery.signals import task_prerun
from django.db import transaction
from django.utils import timezone

from channels.models import SandboxMessage
from config.celery import app
from notifications.models import Delivery, DeliveryAttempt, Event, Notification, Suppression
from notifications.services.dispatch import deliveries_send
from notifications.services.planning import events_process
from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    """Celery runs each queued task inline; returns the (task name, args) of every task run."""
    ran = []

    def record(sender=None, args=None, **kwargs):
        ran.append((sender.name.rsplit(".", 1)[-1], args))

    task_prerun.connect(record)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        yield ran
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = False, False
        task_prerun.disconnect(record)


@pytest.fixture
def three_shipments(eager, django_capture_on_commit_callbacks):
    """Three customers' shipments, their order and shipment events already planned and sent
    (as a committed transaction would have them), and the eager task record emptied."""
    instant_pipeline()
    with django_capture_on_commit_callbacks(execute=True):
        shipments = [customer_with_shipment()[2] for _ in range(3)]
    eager.clear()
    return shipments


def test_one_transactions_events_share_one_planning_message(three_shipments, eager, django_capture_on_commit_callbacks):
    before = Event.objects.order_by("pk").last().pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            for shipment in three_shipments:
                carrier_scan(shipment, "delivered")
    events = list(Event.objects.filter(pk__gt=before).order_by("pk"))
    assert len(events) >= 3 and len(callbacks) == 1
    planning = [
        (name, list(args[0]) if name == "process_events" else args)
        for name, args in eager
        if name.startswith("process_event")
    ]
    assert planning == [("process_events", [e.pk for e in events])]
    assert not Event.objects.filter(pk__in=[e.pk for e in events], processed_at__isnull=True).exists()
    events = [e for e in events if e.type == "shipment.delivered"]
    # Their sends went in one message per channel, and each customer got one email and one SMS.
    sends = [(name, args) for name, args in eager if name.startswith("send_")]
    assert sorted(name for name, _ in sends) == ["send_deliveries", "send_deliveries"]
    assert sorted(len(args[0]) for _, args in sends) == [3, 3]
    deliveries = Delivery.objects.filter(notification__event__in=events)
    assert (
        sorted(deliveries.values_list("channel", "status")) == [("email", "delivered")] * 3 + [("sms", "delivered")] * 3
    )
    assert SandboxMessage.objects.filter(delivery__in=deliveries).count() == 6


def test_a_rolled_back_transaction_queues_nothing(three_shipments, eager, django_capture_on_commit_callbacks):
    first, second, _ = three_shipments
    before = Event.objects.order_by("pk").last().pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                carrier_scan(first, "delivered")
                raise RuntimeError("the import failed")
        with transaction.atomic():
            carrier_scan(second, "delivered")
    kept = list(Event.objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True))
    assert kept and len(callbacks) == 1
    assert not Event.objects.filter(subject_type="shipment", subject_id=first.pk, type="shipment.delivered").exists()
    queued = [
        pk
        for name, args in eager
        if name.startswith("process_event")
        for pk in (args[0] if name == "process_events" else args)
    ]
    assert queued == kept


def test_a_failing_event_holds_up_no_other(three_shipments, eager):
    before = Event.objects.order_by("pk").last().pk
    for shipment in three_shipments[:2]:
        carrier_scan(shipment, "delivered")
    good = list(Event.objects.filter(pk__gt=before, type="shipment.delivered"))
    bad = Event.objects.create(type="stock.back_in_stock", subject_type="stock", subject_id=987654, payload={})
    with pytest.raises(Exception, match="does not exist"):
        events_process(event_ids=[e.pk for e in good] + [bad.pk], limit=10)
    for event in good:
        event.refresh_from_db()
        assert event.processed_at and event.notifications.count() == 1
    assert len(good) == 2
    bad.refresh_from_db()
    assert bad.processed_at is None and bad.processing_attempts == 1 and "does not exist" in bad.last_error
    # What the good events planned was queued (and, eagerly, sent) before the error was raised.
    assert Delivery.objects.filter(notification__event__in=good, status="delivered").count() == 4


def _delivered_and_planned(shipments) -> list[Delivery]:
    """Each shipment delivered, its events planned in one batch; returns the new deliveries."""
    before = Event.objects.order_by("pk").last().pk
    for shipment in shipments:
        carrier_scan(shipment, "delivered")
    return events_process(event_ids=list(Event.objects.filter(pk__gt=before).values_list("pk", flat=True)), limit=10)


def test_a_batch_of_sends_claims_each_due_delivery_once(three_shipments):
    deliveries = _delivered_and_planned(three_shipments)
    emails = sorted((d for d in deliveries if d.channel == "email"), key=lambda d: d.pk)
    later, suppressed, due = emails
    Delivery.objects.filter(pk=later.pk).update(send_after=timezone.now() + timezone.timedelta(hours=1))
    Suppression.objects.create(channel="email", address=suppressed.to.upper(), reason="hard_bounce")
    ids = [d.pk for d in emails]
    assert deliveries_send(delivery_ids=ids) == []
    assert deliveries_send(delivery_ids=ids) == []  # a second copy of the message changes nothing
    status = dict(Delivery.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert status == {later.pk: "pending", suppressed.pk: "suppressed", due.pk: "delivered"}
    assert list(DeliveryAttempt.objects.filter(delivery__in=ids).values_list("delivery_id", "number")) == [(due.pk, 1)]
    assert SandboxMessage.objects.filter(delivery__in=ids).count() == 1


def test_a_batch_coalesces_updates_of_one_shipment(three_shipments):
    """Two updates of one shipment planned in one batch: the newer supersedes the older, which
    sends nothing; a still-planned notification of an earlier batch is superseded as well."""
    first, second, _ = three_shipments
    before = Event.objects.order_by("pk").last().pk
    carrier_scan(first, "in_transit")
    earlier = list(Event.objects.filter(pk__gt=before).values_list("pk", flat=True))
    events_process(event_ids=earlier, limit=10)
    older = Notification.objects.get(event_id__in=earlier, notification_type__key="shipment_in_transit")
    assert older.status == "planned"
    mark = Event.objects.order_by("pk").last().pk
    carrier_scan(first, "out_for_delivery")
    carrier_scan(first, "delivered")
    carrier_scan(second, "delivered")
    batch = list(Event.objects.filter(pk__gt=mark).order_by("pk").values_list("pk", flat=True))
    deliveries = events_process(event_ids=batch, limit=10)
    by_type = {
        n.notification_type.key: n
        for n in Notification.objects.filter(event_id__in=batch, customer=first.order.customer)
    }
    assert by_type["shipment_out_for_delivery"].status == "superseded"
    assert by_type["shipment_out_for_delivery"].superseded_by == by_type["shipment_delivered"]
    assert by_type["shipment_delivered"].status == "planned"
    older.refresh_from_db()
    assert older.status == "superseded" and not older.deliveries.exclude(status="superseded").exists()
    planned_for = {(d.notification.customer_id, d.notification.notification_type.key) for d in deliveries}
    assert planned_for == {
        (first.order.customer_id, "shipment_delivered"),
        (second.order.customer_id, "shipment_delivered"),
    }


def test_a_send_message_fills_its_batch_from_the_channels_backlog(three_shipments):
    """A message for one delivery also takes the channel's other due deliveries (up to the
    batch size), never another channel's and never one not due yet; a later message for one of
    them then has nothing left to do."""
    deliveries = _delivered_and_planned(three_shipments)
    emails = sorted((d for d in deliveries if d.channel == "email"), key=lambda d: d.pk)
    Delivery.objects.filter(pk=emails[2].pk).update(send_after=timezone.now() + timezone.timedelta(hours=1))
    assert deliveries_send(delivery_ids=[emails[0].pk], channel="email", fill_to=50) == []
    status = dict(Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).values_list("pk", "status"))
    assert [status[d.pk] for d in emails] == ["delivered", "delivered", "pending"]
    assert {status[d.pk] for d in deliveries if d.channel == "sms"} == {"pending"}
    assert deliveries_send(delivery_ids=[emails[1].pk], channel="email", fill_to=50) == []
    assert DeliveryAttempt.objects.filter(delivery__in=emails).count() == 2
