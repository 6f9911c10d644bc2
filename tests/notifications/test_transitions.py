"""The pipeline's state machines: a notification moves only as ``NOTIFICATION_MACHINE`` allows;
decisions (planning's supersede, an agent's requeue) leave audit rows; a batch moves set-wise
(``transition_many``: one audit row per moved row, a number of queries that does not grow with
the batch); what the pipeline does while sending adds no audit row (its attempts are the record)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from core.audit import AuditAction
from core.models import AuditLog
from core.transitions import InvalidTransition, audit, transition_many
from notifications.models import Delivery, Event, Notification
from notifications.services.dispatch import delivery_requeue
from notifications.services.planning import event_process
from notifications.services.transitions import (
    NOTIFICATION_MACHINE,
    notification_transition,
    notifications_transition,
)
from tests.domain.helpers import audit_rows
from tests.notifications.pipeline import (
    carrier_scan,
    customer_with_shipment,
    instant_pipeline,
    process_events,
    run_pipeline,
)

pytestmark = pytest.mark.django_db
N, D = Notification.Status, Delivery.Status


def planned_notifications(count: int) -> list[Notification]:
    """``count`` customers' order confirmations, planned with a pending delivery each."""
    instant_pipeline()
    customers = [customer_with_shipment()[0] for _ in range(count)]
    process_events()
    return list(Notification.objects.filter(customer__in=customers, status=N.PLANNED).order_by("pk"))


def test_the_notification_machine_refuses_a_forbidden_move():
    # given a delivered notification
    instant_pipeline()
    customer, *_ = customer_with_shipment()
    run_pipeline()
    notification = Notification.objects.get(customer=customer, notification_type__key="order_confirmed")
    assert notification.status == N.DELIVERED

    # when something tries to plan it again, alone or in a batch
    with pytest.raises(InvalidTransition, match="Cannot move notification from 'delivered' to 'planned'"):
        notification_transition(notification=notification, to_status=N.PLANNED, actor="test")
    with pytest.raises(InvalidTransition):
        transition_many(model=Notification, pks=[notification.pk], sm=NOTIFICATION_MACHINE, target=N.PLANNED)

    # then nothing changed and nothing was audited
    notification.refresh_from_db()
    assert notification.status == N.DELIVERED
    assert not audit_rows(notification).exists()


def test_a_forbidden_move_in_a_batch_leaves_every_row_as_it_was():
    # given a delivered notification and a planned one
    [delivered] = planned_notifications(1)
    run_pipeline()
    delivered.refresh_from_db()
    others = planned_notifications(1)

    # when a batch would supersede both
    with pytest.raises(InvalidTransition, match="from 'delivered' to 'superseded'"):
        transition_many(
            model=Notification,
            pks=[delivered.pk, *(n.pk for n in others)],
            sm=NOTIFICATION_MACHINE,
            target=N.SUPERSEDED,
            actor="test",
        )

    # then none moved
    assert Notification.objects.get(pk=others[0].pk).status == N.PLANNED
    assert Notification.objects.get(pk=delivered.pk).status == N.DELIVERED


def test_a_superseded_notification_and_its_pending_delivery_leave_audit_rows():
    # given the "shipped" notification of a shipment, planned, its deliveries not sent yet
    instant_pipeline()
    customer, _order, shipment = customer_with_shipment()
    carrier_scan(shipment, "shipped")
    process_events()
    shipped = Notification.objects.get(customer=customer, notification_type__key="shipment_shipped")
    pending = list(shipped.deliveries.filter(status=D.PENDING))
    assert shipped.status == N.PLANNED and pending

    # when a newer update of the same shipment is planned
    carrier_scan(shipment, "in_transit")
    process_events()

    # then the older notification and its pending deliveries are superseded, each with an audit row
    in_transit = Notification.objects.get(customer=customer, notification_type__key="shipment_in_transit")
    shipped.refresh_from_db()
    assert (shipped.status, shipped.superseded_by_id) == (N.SUPERSEDED, in_transit.pk)
    [row] = audit_rows(shipped)
    assert (row.action, row.from_state, row.to_state, row.actor) == (
        AuditAction.STATUS_CHANGED,
        N.PLANNED,
        N.SUPERSEDED,
        "system:planning",
    )
    assert row.data == {"superseded_by": in_transit.pk} and "shipment_in_transit" in row.reason
    for delivery in pending:
        delivery.refresh_from_db()
        assert delivery.status == D.SUPERSEDED
        assert list(audit_rows(delivery).values_list("from_state", "to_state")) == [(D.PENDING, D.SUPERSEDED)]


def test_a_notification_planned_after_a_newer_one_is_superseded_with_an_audit_row():
    # given a shipment's "in transit" update planned already
    instant_pipeline()
    customer, _order, shipment = customer_with_shipment()
    carrier_scan(shipment, "shipped")
    carrier_scan(shipment, "in_transit")
    events = {e.type: e for e in Event.objects.filter(processed_at__isnull=True)}
    event_process(event_id=events["shipment.in_transit"].pk)

    # when the older "shipped" event is planned after it (a redelivered message, a slow worker)
    event_process(event_id=events["shipment.shipped"].pk)

    # then the older one is superseded at birth, audited, and got no deliveries
    shipped = Notification.objects.get(customer=customer, notification_type__key="shipment_shipped")
    assert shipped.status == N.SUPERSEDED and not shipped.deliveries.exists()
    assert list(audit_rows(shipped).values_list("to_state", flat=True)) == [N.SUPERSEDED]


@pytest.mark.parametrize("size", [3, 12])
def test_transition_many_writes_one_audit_row_per_moved_row_in_a_fixed_number_of_queries(
    size, django_assert_num_queries
):
    # given planned notifications, one of them already sending (the content type cache is warm)
    notifications = planned_notifications(size + 1)
    already = notifications[0]
    Notification.objects.filter(pk=already.pk).update(status=N.SENDING)
    ContentType.objects.get_for_model(Notification)

    # when the batch moves to sending: savepoint, locking read, one update, one audit insert, release
    with django_assert_num_queries(5):
        moved = transition_many(
            model=Notification,
            pks=[n.pk for n in notifications],
            sm=NOTIFICATION_MACHINE,
            target=N.SENDING,
            actor="user:agent",
            reason="batch",
        )

    # then every planned one moved, with one audit row each; the one already sending is left alone
    assert sorted(n.pk for n in moved) == sorted(n.pk for n in notifications[1:])
    assert set(Notification.objects.filter(pk__in=[n.pk for n in notifications]).values_list("status", flat=True)) == {
        N.SENDING
    }
    rows = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(Notification))
    assert sorted(rows.values_list("object_id", flat=True)) == sorted(str(n.pk) for n in notifications[1:])
    assert set(rows.values_list("from_state", "to_state", "actor", "reason")) == {
        (N.PLANNED, N.SENDING, "user:agent", "batch")
    }


def test_decisions_in_a_batch_take_their_values_per_row():
    # given two planned notifications
    first, second = planned_notifications(2)

    # when both are superseded, each by the other, with its own reason (a function of the row)
    by = {first.pk: second, second.pk: first}
    with transaction.atomic():
        locked = list(Notification.objects.select_for_update().filter(pk__in=by).order_by("pk"))
        notifications_transition(
            locked,
            to_status=N.SUPERSEDED,
            actor="test",
            reason=lambda n: f"because of #{by[n.pk].pk}",
            changes=lambda n: {"superseded_by": by[n.pk], "reason": f"by #{by[n.pk].pk}"},
        )

    # then each row kept its own values
    for n in (first, second):
        n.refresh_from_db()
        assert (n.status, n.superseded_by_id, n.reason) == (N.SUPERSEDED, by[n.pk].pk, f"by #{by[n.pk].pk}")
        assert audit_rows(n).get().reason == f"because of #{by[n.pk].pk}"


def test_sending_leaves_no_audit_row_its_attempts_are_the_record():
    # given an order confirmation planned
    instant_pipeline()
    customer, *_ = customer_with_shipment()

    # when the pipeline plans and sends it
    run_pipeline()

    # then the notification and its delivery moved without audit rows; the attempt records the send
    notification = Notification.objects.get(customer=customer, notification_type__key="order_confirmed")
    delivery = notification.deliveries.get()
    assert (notification.status, delivery.status) == (N.DELIVERED, D.DELIVERED)
    assert not audit_rows(notification).exists() and not audit_rows(delivery).exists()
    assert delivery.attempts.get().outcome == "accepted"


def test_an_agents_requeue_moves_the_dead_notification_back_to_sending_audited():
    # given a notification whose only delivery is dead
    instant_pipeline()
    customer, *_ = customer_with_shipment()
    process_events()
    notification = Notification.objects.get(customer=customer, notification_type__key="order_confirmed")
    delivery = notification.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=D.DEAD)
    Notification.objects.filter(pk=notification.pk).update(status=N.DEAD)

    # when an agent requeues the delivery
    requeued = delivery_requeue(delivery=delivery, actor="user:agent", reason="address fixed")

    # then the delivery is pending and the notification sending, each with the agent's audit row
    notification.refresh_from_db()
    assert (requeued.status, notification.status) == (D.PENDING, N.SENDING)
    assert list(audit_rows(requeued).values_list("action", "from_state", "to_state", "actor")) == [
        (AuditAction.REQUEUED, D.DEAD, D.PENDING, "user:agent")
    ]
    assert list(audit_rows(notification).values_list("action", "from_state", "to_state", "actor", "reason")) == [
        (AuditAction.STATUS_CHANGED, N.DEAD, N.SENDING, "user:agent", "address fixed")
    ]


def test_an_audit_action_not_on_the_list_is_refused():
    # given any row
    notification = planned_notifications(1)[0]
    # when a service names an action that is not an AuditAction, then nothing is written
    with pytest.raises(ValueError):
        audit(obj=notification, action="poked", actor="test")
    assert not audit_rows(notification).exists()
