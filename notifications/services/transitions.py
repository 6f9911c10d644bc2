"""The pipeline's two state machines and the services every status change of a delivery or a
notification goes through (``core.transitions`` underneath).

A notification's status follows its deliveries (``notifications_refresh_status``: the best of
them), or a decision: planning supersedes it with a newer update, a digest carries it, an agent
requeues or resends one of its deliveries, or sends a one-off message. A notification is born
``planned``, or ``not_sent`` when planning finds no channel it may use (its ``reason`` and
``skipped`` say why); being born is not a move.

What is audited where (DESIGN rule 2): decisions write an ``AuditLog`` row per moved row (who,
from, to, why); the moves the pipeline makes by the thousand while sending (claimed, sent,
retried, fallen back, reconciled, and the notification statuses that only follow them) are
recorded by the rows written in the same transaction: one ``DeliveryAttempt`` per provider call
(outcome, error, timing, how an unknown outcome was settled) and one ``ProviderEvent`` per receipt.
"""

from collections import defaultdict

from core.audit import AuditAction
from core.transitions import machine, transition, transition_rows
from notifications.models import Delivery, Notification

DELIVERY_MACHINE = machine(
    "delivery",
    {
        Delivery.Status.PENDING: {
            Delivery.Status.SENDING,
            Delivery.Status.SUPERSEDED,
            Delivery.Status.SUPPRESSED,
            Delivery.Status.DEAD,
        },
        Delivery.Status.SENDING: {
            Delivery.Status.SENT,
            Delivery.Status.DELIVERED,
            Delivery.Status.PENDING,
            Delivery.Status.FAILED,
            Delivery.Status.DEAD,
            Delivery.Status.SUPPRESSED,
            Delivery.Status.BOUNCED,
            Delivery.Status.RECONCILING,
        },
        # Found (or a receipt came): sent; settled and not found: pending again; never found, no
        # attempts left: failed or dead; the provider's look-up down for too long: dead (an agent).
        Delivery.Status.RECONCILING: {
            Delivery.Status.SENT,
            Delivery.Status.DELIVERED,
            Delivery.Status.PENDING,
            Delivery.Status.FAILED,
            Delivery.Status.BOUNCED,
            Delivery.Status.DEAD,
        },
        Delivery.Status.SENT: {
            Delivery.Status.DELIVERED,
            Delivery.Status.FAILED,
            Delivery.Status.BOUNCED,
            Delivery.Status.DEAD,
        },
        Delivery.Status.DELIVERED: {Delivery.Status.BOUNCED},
        Delivery.Status.FAILED: set(),
        Delivery.Status.BOUNCED: set(),
        Delivery.Status.SUPPRESSED: set(),
        Delivery.Status.SUPERSEDED: set(),
        Delivery.Status.DEAD: {Delivery.Status.PENDING},  # an agent's requeue
    },
)
"""Every delivery status change is checked against this map. The row lock is the caller's: the
dispatcher, reconciliation and receipts lock a batch's notifications, then its deliveries, in
one read each (in key order) and move them set-wise. Their audit is the attempt and receipt rows
they write in the same transaction (see the module's docstring), so the hot path adds no query
per delivery; an agent's requeue and planning's supersede write audit rows as well."""

NOTIFICATION_MACHINE = machine(
    "notification",
    {
        # Claimed by the dispatcher; carried by a digest; a newer update of the same subject came
        # first; every delivery was suppressed or failed before one went out.
        Notification.Status.PLANNED: {
            Notification.Status.SENDING,
            Notification.Status.SENT,
            Notification.Status.SUPERSEDED,
            Notification.Status.DEAD,
        },
        Notification.Status.SENDING: {
            Notification.Status.SENT,
            Notification.Status.DELIVERED,
            Notification.Status.DEAD,
        },
        # A receipt can still fail a sent or delivered message: its fallback is on its way
        # (sending), another channel's copy counts (sent), or none is left (dead).
        Notification.Status.SENT: {
            Notification.Status.DELIVERED,
            Notification.Status.SENDING,
            Notification.Status.DEAD,
        },
        Notification.Status.DELIVERED: {
            Notification.Status.SENT,
            Notification.Status.SENDING,
            Notification.Status.DEAD,
        },
        Notification.Status.DEAD: {Notification.Status.SENDING},  # an agent's requeue or resend
        Notification.Status.SUPERSEDED: set(),
        Notification.Status.NOT_SENT: set(),
    },
)

PIPELINE = "system:pipeline"


def delivery_set_status(delivery: Delivery, status: str, **fields) -> Delivery:
    """Move one delivery the caller locked through ``DELIVERY_MACHINE`` and save only what
    changed (``update_fields``). No audit row: the attempt or receipt that caused the move is its
    record (see ``DELIVERY_MACHINE``)."""
    DELIVERY_MACHINE.check(delivery.status, status)
    delivery.status = status
    for name, value in fields.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["status", "updated_at", *fields])
    return delivery


def deliveries_transition(
    deliveries: list[Delivery], *, to_status: str, actor: str, reason="", changes=None, data=None
) -> list[Delivery]:
    """A decision about locked deliveries (planning superseded them): moved set-wise, one audit
    row each. Returns the moved ones."""
    return transition_rows(
        deliveries, sm=DELIVERY_MACHINE, target=to_status, actor=actor, reason=reason, changes=changes, data=data
    )


def notification_transition(
    *,
    notification: Notification,
    to_status: str,
    actor: str,
    reason: str = "",
    action: AuditAction | None = None,
    data: dict | None = None,
    **changes,
) -> Notification:
    """Lock one notification and move it (an agent's decision), with its audit row."""
    return transition(
        model=Notification,
        pk=notification.pk,
        sm=NOTIFICATION_MACHINE,
        target=to_status,
        actor=actor,
        reason=reason,
        changes=changes,
        action=action,
        data=data,
    )


def notifications_transition(
    notifications: list[Notification], *, to_status: str, actor: str, reason="", changes=None, data=None
) -> list[Notification]:
    """A decision about locked notifications (superseded, carried by a digest): moved set-wise,
    one audit row each. ``reason``, ``changes`` and ``data`` may be functions of the row."""
    return transition_rows(
        notifications, sm=NOTIFICATION_MACHINE, target=to_status, actor=actor, reason=reason, changes=changes, data=data
    )


def _status_from(notification: Notification, statuses: set[str]) -> str:
    """A notification's status follows the best of its deliveries' statuses."""
    if notification.status in (Notification.Status.SUPERSEDED, Notification.Status.NOT_SENT):
        return notification.status
    if Delivery.Status.DELIVERED in statuses:
        return Notification.Status.DELIVERED
    if Delivery.Status.SENT in statuses:
        return Notification.Status.SENT
    if statuses & {Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.RECONCILING}:
        # Still waiting to start, or on its way again (a retry, a fallback, a requeue, a resend).
        in_flight = statuses & {Delivery.Status.SENDING, Delivery.Status.RECONCILING}
        return (
            Notification.Status.PLANNED
            if notification.status == Notification.Status.PLANNED and not in_flight
            else Notification.Status.SENDING
        )
    if statuses and statuses <= {Delivery.Status.SUPERSEDED}:
        return Notification.Status.SUPERSEDED
    return Notification.Status.DEAD


def notifications_refresh_status(
    notifications: list[Notification], *, actor: str = PIPELINE, reason: str = "", record: bool = False
) -> list[Notification]:
    """Bring each locked notification's status in line with its deliveries: one read of their
    statuses, the moves checked against ``NOTIFICATION_MACHINE``, one write of the changed rows.
    Audit rows only with ``record`` (an agent's requeue or resend): otherwise the move only
    follows its deliveries, whose attempts and receipts are the record. Returns the moved ones."""
    if not notifications:
        return []
    statuses: dict[int, set[str]] = defaultdict(set)
    for notification_id, status in Delivery.objects.filter(
        notification_id__in=[n.pk for n in notifications]
    ).values_list("notification_id", "status"):
        statuses[notification_id].add(status)
    return transition_rows(
        notifications,
        sm=NOTIFICATION_MACHINE,
        target=lambda n: _status_from(n, statuses[n.pk]),
        actor=actor,
        reason=reason,
        record=record,
    )


def notification_refresh_status(notification: Notification, **kwargs) -> Notification:
    notifications_refresh_status([notification], **kwargs)
    return notification


def notifications_start(notifications: list[Notification]) -> list[Notification]:
    """The planned ones of these locked notifications whose deliveries were just claimed move
    to sending (one write; their deliveries' attempts are the record)."""
    return transition_rows(
        [n for n in notifications if n.status == Notification.Status.PLANNED],
        sm=NOTIFICATION_MACHINE,
        target=Notification.Status.SENDING,
        actor=PIPELINE,
        record=False,
    )
