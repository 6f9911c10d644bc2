"""Dispatch: send deliveries through their channel's provider, exactly once.

Three short steps, each done for a batch (one delivery, or the many a burst brings at once): claim
(lock, state checks, one attempt each with its idempotency key and an in-flight lease longer than
its provider call can take), call the providers outside any transaction (side by side on a thread
pool when the provider allows it), record each result as it comes back (lock, move each state
machine: sent; not sent: retry with backoff and jitter; refused: fall back to the next channel, or
dead; unknown: reconcile with the provider before anything else is sent, see ``reconcile``). A
batch costs a handful of queries whatever its size: locks, checks and updates are set-wise; the
state machines and what records each move are in ``transitions``."""

import random
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from channels import provider_for, provider_named
from channels.base import OutboundMessage, SendResult, SendStatus
from core.audit import AuditAction
from core.bulk import update_rows
from core.transitions import audit
from notifications.models import Delivery, DeliveryAttempt, Notification, Suppression
from notifications.queueing import deliveries_enqueue_on_commit
from notifications.selectors import deliveries_due
from notifications.services import inflight, sms_policy
from notifications.services.calls import Claim, _calls, _keep_body_digests
from notifications.services.compose import compose_messages
from notifications.services.transitions import (
    DELIVERY_MACHINE,
    PIPELINE,
    deliveries_transition,
    delivery_set_status,
    notification_refresh_status,
    notifications_refresh_status,
    notifications_start,
)
from notifications.waits import scaled

ACCEPTED = (SendStatus.ACCEPTED, SendStatus.DELIVERED)


def backoff(attempt_number: int) -> timezone.timedelta:
    """Exponential backoff with jitter (half fixed, half random), capped."""
    ceiling = min(
        settings.DELIVERY_BACKOFF_MAX_SECONDS, settings.DELIVERY_BACKOFF_BASE_SECONDS * 2 ** (attempt_number - 1)
    )
    return scaled(ceiling / 2 + random.uniform(0, ceiling / 2))


def _active_suppressions(deliveries: list[Delivery]) -> dict[tuple[str, str], Suppression]:
    """Active suppressions of the batch's addresses, by (channel, upper-cased address): one query."""
    wanted = {(d.channel, d.to.upper()) for d in deliveries if d.to}
    if not wanted:
        return {}
    rows = (
        Suppression.objects.filter(lifted_at__isnull=True, channel__in={c for c, _ in wanted})
        .annotate(address_upper=Upper("address"))
        .filter(address_upper__in={a for _, a in wanted})
    )
    return {(s.channel, s.address_upper): s for s in rows}


def _provider_for_attempt(delivery: Delivery, number: int):
    """The channel's route for this attempt, unless the notification names its provider: an
    answer to a text goes back through the provider the text came in by, on every attempt."""
    pinned = (delivery.notification.content or {}).get("provider")
    if pinned:
        return provider_named(delivery.channel, pinned)
    return provider_for(delivery.channel, to=delivery.to, attempt_number=number)


def _claim_many(delivery_ids: list[int], *, channel: str = "", fill_to: int = 0) -> list[Claim]:
    """Claim the due ones of ``delivery_ids`` and, with ``channel`` and ``fill_to``, other due
    deliveries of that channel up to ``fill_to`` (a backlog of small messages drains in full
    batches; rows another worker holds are skipped, never waited for). Each goes to sending with
    a new attempt. Checks on the way: superseded, suppressed address, withdrawn consent, the
    customer's SMS cap. Lock order everywhere: notifications, then deliveries."""
    now = timezone.now()
    with transaction.atomic():
        locked = Notification.objects.select_for_update(of=("self",)).select_related("notification_type")
        notifications = {
            n.pk: n
            for n in locked.filter(
                pk__in=Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING).values(
                    "notification_id"
                )
            ).order_by("pk")
        }
        wanted = Q(pk__in=delivery_ids, notification_id__in=list(notifications))
        room = fill_to - len(notifications)
        if channel and room > 0:
            due = deliveries_due(now=now).filter(channel=channel).exclude(pk__in=delivery_ids)
            others = list(
                Notification.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("notification_type")
                .filter(pk__in=due.values("notification_id")[: room * 4])
                .order_by("pk")[:room]
            )
            notifications.update((n.pk, n) for n in others)
            wanted |= Q(notification_id__in=[n.pk for n in others], channel=channel)
        if not notifications:
            return []
        deliveries = [
            d
            for d in Delivery.objects.select_for_update().filter(wanted).order_by("pk")
            if d.status == Delivery.Status.PENDING and d.send_after <= now
        ]
        for d in deliveries:
            d.notification = notifications[d.notification_id]
        suppressions = _active_suppressions(deliveries)
        opted_out = sms_policy.opted_out(deliveries)
        sms_counts = sms_policy.recent_sms_counts(deliveries, now=now)
        claimed, attempts, fallbacks, superseded = [], [], [], []
        leases = inflight.Leases(now)
        for d in deliveries:
            notification = d.notification
            if notification.status == Notification.Status.SUPERSEDED:
                superseded.append(d)
                continue
            suppression = suppressions.get((d.channel, d.to.upper())) if d.to else None
            if suppression or d.pk in opted_out:
                error = (
                    f"suppressed: {suppression.get_reason_display()}"
                    if suppression
                    else "no consent: the customer opted out of this channel"
                )
                fallback = delivery_fail(
                    delivery=d, notification=notification, status=Delivery.Status.SUPPRESSED, error=error
                )
                fallbacks += [fallback] if fallback else []
                continue
            if sms_policy.capped(d, notification, sms_counts):  # the exact check, only near the cap
                defer_until = sms_policy.cap_defer_until(delivery=d, notification=notification, now=now)
                if defer_until:  # over the customer's SMS cap: later, not never (the sweeper picks it up)
                    d.send_after = defer_until
                    d.save(update_fields=["send_after", "updated_at"])
                    continue
            if d.channel == "sms":
                sms_counts[notification.customer_id] = sms_counts.get(notification.customer_id, 0) + 1
            number = d.attempt_count + 1
            # SMS may route through several providers: each attempt names the one it uses.
            provider = _provider_for_attempt(d, number)
            DELIVERY_MACHINE.check(d.status, Delivery.Status.SENDING)
            d.status, d.attempt_count, d.provider, d.updated_at = Delivery.Status.SENDING, number, provider.name, now
            d.lease_until = leases.next(provider)
            claimed.append(d)
            attempts.append(
                DeliveryAttempt(
                    delivery=d,
                    number=number,
                    provider=provider.name,
                    started_at=now,
                    idempotency_key=f"wp-{d.pk}-{number}",
                )
            )
        # A delivery still pending when planning superseded its notification (it was made after).
        deliveries_transition(
            superseded,
            to_status=Delivery.Status.SUPERSEDED,
            actor=PIPELINE,
            reason=lambda d: d.notification.reason,
            changes=lambda d: {"error": d.notification.reason},
        )
        if claimed:
            update_rows(claimed, ["status", "attempt_count", "provider", "updated_at", "lease_until"])
            DeliveryAttempt.objects.bulk_create(attempts)
            notifications_start(list({d.notification_id: d.notification for d in claimed}.values()))
        if fallbacks:
            deliveries_enqueue_on_commit(fallbacks)
    return [Claim(d, a) for d, a in zip(claimed, attempts, strict=False)]


def _fallback_channel(notification: Notification, delivery: Delivery) -> str | None:
    if notification.mode != "fallback" or delivery.channel not in notification.channels:
        return None
    tried = set(notification.deliveries.values_list("channel", flat=True))
    for channel in notification.channels[notification.channels.index(delivery.channel) + 1 :]:
        if channel not in tried:
            return channel
    return None


def delivery_fail(
    *, delivery: Delivery, notification: Notification, error: str, status: str = Delivery.Status.FAILED, **fields
) -> Delivery | None:
    """Give up on a locked delivery (``status``: failed, bounced or suppressed): fall back to the
    plan's next channel (returned, to dispatch) or, when none is left, a failed one is dead —
    listed in the admin's dead letters."""
    from preferences.selectors import address_for, hold_until_for

    next_channel = _fallback_channel(notification, delivery)
    if next_channel is None and status == Delivery.Status.FAILED:
        status = Delivery.Status.DEAD
    delivery_set_status(delivery, status, error=error[:2000], **fields)
    if next_channel is None:
        notification_refresh_status(notification)
        return None
    return Delivery.objects.create(
        notification=notification,
        channel=next_channel,
        to=address_for(customer=notification.customer, channel=next_channel),
        # a fallback to SMS at night waits for the customer's quiet hours to end
        send_after=hold_until_for(
            customer=notification.customer, channel=next_channel, critical=notification.notification_type.critical
        ),
    )


_ATTEMPT_FIELDS = [
    "outcome",
    "finished_at",
    "latency_ms",
    "provider_message_id",
    "error_code",
    "error_text",
    "cost",
    "resolution",
    "resolved_at",
]
_SENT_FIELDS = [
    "status",
    "sent_at",
    "delivered_at",
    "provider_message_id",
    "cost",
    "error",
    "updated_at",
    "lease_until",
]
_OUTCOMES = {
    SendStatus.NOT_SENT: DeliveryAttempt.Outcome.TRANSIENT,
    SendStatus.UNKNOWN: DeliveryAttempt.Outcome.UNKNOWN,
    SendStatus.PERMANENT: DeliveryAttempt.Outcome.PERMANENT,
}


def _accept(delivery: Delivery, result: SendResult, *, now) -> None:
    delivered = result.status == SendStatus.DELIVERED
    DELIVERY_MACHINE.check(delivery.status, Delivery.Status.DELIVERED if delivered else Delivery.Status.SENT)
    delivery.status = Delivery.Status.DELIVERED if delivered else Delivery.Status.SENT
    delivery.sent_at, delivery.provider_message_id, delivery.cost = now, result.provider_message_id, result.cost
    delivery.error, delivery.updated_at, delivery.lease_until = "", now, None
    if delivered:
        delivery.delivered_at = now


def _record_late(attempt: DeliveryAttempt, delivery: Delivery, result: SendResult, *, now) -> bool:
    """An answer that came after the attempt's lease ran out (it was declared unknown). An
    acceptance is news: it settles the reconciliation. True when the delivery changed."""
    if result.status not in ACCEPTED:
        attempt.error_text = f"{attempt.error_text}; later answer: {result.error_code} {result.error_text}"[:2000]
        return False
    attempt.outcome, attempt.provider_message_id = DeliveryAttempt.Outcome.ACCEPTED, result.provider_message_id
    if not attempt.resolution:
        attempt.resolution, attempt.resolved_at = DeliveryAttempt.Resolution.LATE_ANSWER, now
    if delivery.status == Delivery.Status.RECONCILING:
        _accept(delivery, result, now=now)
        return True
    if result.provider_message_id and not delivery.provider_message_id:
        delivery.provider_message_id, delivery.updated_at = result.provider_message_id, now
        return True
    return False


def _record_many(sent: list[tuple[Claim, SendResult, int]]) -> list[Delivery]:
    """Apply the providers' results; returns deliveries to dispatch next (retries, fallbacks,
    look-ups). An unknown outcome sends nothing more: the delivery waits for reconciliation."""
    now = timezone.now()
    follow_up: list[Delivery] = []
    with transaction.atomic():
        notifications = {
            n.pk: n
            for n in Notification.objects.select_for_update(of=("self",))
            .select_related("notification_type")
            .filter(pk__in={c.delivery.notification_id for c, _, _ in sent})
            .order_by("pk")
        }
        deliveries = {
            d.pk: d
            for d in Delivery.objects.select_for_update()
            .filter(pk__in=[c.delivery.pk for c, _, _ in sent])
            .order_by("pk")
        }
        attempts = {
            a.pk: a
            for a in DeliveryAttempt.objects.select_for_update()
            .filter(pk__in=[c.attempt.pk for c, _, _ in sent])
            .order_by("pk")
        }
        done_attempts, done_deliveries, touched = [], [], {}
        for claim, result, latency_ms in sent:
            attempt, delivery = attempts[claim.attempt.pk], deliveries[claim.delivery.pk]
            notification = notifications[delivery.notification_id]
            ok = result.status in ACCEPTED
            if attempt.outcome == DeliveryAttempt.Outcome.UNKNOWN:  # its lease ran out before this answer came
                if _record_late(attempt, delivery, result, now=now):
                    done_deliveries.append(delivery)
                    touched[notification.pk] = notification
                done_attempts.append(attempt)
                continue
            if attempt.outcome != DeliveryAttempt.Outcome.IN_FLIGHT:
                continue
            if delivery.status != Delivery.Status.SENDING:
                # A provider receipt overtook the API answer: keep the attempt's record, not the status.
                arrived = ok or delivery.status in (
                    Delivery.Status.SENT,
                    Delivery.Status.DELIVERED,
                    Delivery.Status.BOUNCED,
                )
                attempt.outcome = DeliveryAttempt.Outcome.ACCEPTED if arrived else _OUTCOMES[result.status]
                attempt.finished_at, attempt.latency_ms = now, latency_ms
                attempt.provider_message_id = result.provider_message_id
                done_attempts.append(attempt)
                if result.provider_message_id and not delivery.provider_message_id:
                    delivery.provider_message_id, delivery.updated_at = result.provider_message_id, now
                    done_deliveries.append(delivery)
                continue
            attempt.finished_at, attempt.latency_ms = now, latency_ms
            attempt.provider_message_id = result.provider_message_id
            attempt.error_code, attempt.error_text, attempt.cost = (
                result.error_code,
                result.error_text[:2000],
                result.cost,
            )
            done_attempts.append(attempt)
            if ok:
                attempt.outcome = DeliveryAttempt.Outcome.ACCEPTED
                _accept(delivery, result, now=now)
                done_deliveries.append(delivery)
                touched[notification.pk] = notification
                continue
            attempt.outcome = _OUTCOMES[result.status]
            error = f"{result.error_code}: {result.error_text}".strip(": ")
            if result.status == SendStatus.UNKNOWN:
                # It may have arrived: nothing more is sent until the provider is asked.
                provider = provider_named(delivery.channel, attempt.provider)
                delivery_set_status(
                    delivery,
                    Delivery.Status.RECONCILING,
                    lease_until=None,
                    error=error,
                    send_after=inflight.first_lookup_at(provider, ended_at=now),
                )
                follow_up.append(delivery)
            elif (
                result.status == SendStatus.NOT_SENT
                and delivery.attempt_count - delivery.retry_floor < settings.DELIVERY_MAX_ATTEMPTS
            ):
                delivery_set_status(
                    delivery,
                    Delivery.Status.PENDING,
                    send_after=now + backoff(delivery.attempt_count),
                    lease_until=None,
                    error=error,
                )
                follow_up.append(delivery)
            else:
                fallback = delivery_fail(delivery=delivery, notification=notification, error=error, lease_until=None)
                if fallback:
                    follow_up.append(fallback)
        update_rows(done_attempts, _ATTEMPT_FIELDS)
        update_rows(done_deliveries, _SENT_FIELDS)
        notifications_refresh_status(list(touched.values()))
    return follow_up


def _record_results(sent: list[tuple[Claim, SendResult, int]]) -> list[Delivery]:
    """Record results; if the database connection died meanwhile (a restart, a terminated
    backend), once more on a new one: the failed transaction was rolled back whole, and the
    providers' answers are worth keeping (else the sends wait for their leases to run out)."""
    try:
        return _record_many(sent)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return _record_many(sent)


def _send(claims: list[Claim]) -> list[Delivery]:
    """Compose every claimed message, call the providers, and record each result as it comes
    back (gathered for at most ``SEND_RECORD_EVERY_SECONDS``, so a slow call does not hold the
    record of the fast ones past their leases)."""
    started = time.monotonic()
    try:
        messages: list[OutboundMessage | Exception] = compose_messages([c.delivery for c in claims])
        _keep_body_digests(claims, messages)
    except (OperationalError, InterfaceError) as exc:
        # The database went away before any call was made: these were provably not sent.
        not_sent = SendResult(SendStatus.NOT_SENT, error_code="database", error_text=f"before the call: {exc}")
        return _record_results([(claim, not_sent, 0) for claim in claims])
    compose_ms = int((time.monotonic() - started) * 1000 / len(claims))
    follow_up: list[Delivery] = []
    waiting: list = []
    waiting_since = None
    for outcome in _calls(claims, messages):
        if outcome is not None:
            claim, result, ms = outcome
            waiting.append((claim, result, ms + compose_ms))
            waiting_since = waiting_since or time.monotonic()
        if waiting and time.monotonic() - waiting_since >= settings.SEND_RECORD_EVERY_SECONDS:
            follow_up += _record_results(waiting)
            waiting, waiting_since = [], None
    if waiting:
        follow_up += _record_results(waiting)
    return follow_up


def deliveries_send(*, delivery_ids: list[int], channel: str = "", fill_to: int = 0) -> list[Delivery]:
    """Send the due ones of ``delivery_ids`` (and, with ``channel`` and ``fill_to``, other due
    deliveries of the channel up to that many). Safe to run twice, and side by side with another
    copy: a delivery already claimed is skipped. Returns deliveries to dispatch next."""
    claims = _claim_many(list(delivery_ids), channel=channel, fill_to=fill_to)
    return _send(claims) if claims else []


def delivery_send(*, delivery_id: int) -> list[Delivery]:
    """Send a delivery if it is pending and due. Safe to run twice: the second run finds the
    state moved and does nothing. Returns deliveries to dispatch next."""
    return deliveries_send(delivery_ids=[delivery_id])


def delivery_requeue(*, delivery: Delivery, actor: str = "", reason: str = "") -> Delivery:
    """An agent's requeue of a dead delivery: back to pending, due now, attempts reset; its
    notification follows (dead -> sending), both audited. Returns the delivery, for the caller
    to queue (``deliveries_enqueue_on_commit``)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=delivery.notification_id)
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        previous = locked.status
        delivery_set_status(
            locked, Delivery.Status.PENDING, send_after=timezone.now(), retry_floor=locked.attempt_count, error=""
        )
        audit(
            obj=locked,
            action=AuditAction.REQUEUED,
            from_state=previous,
            to_state=Delivery.Status.PENDING,
            actor=actor,
            reason=reason,
        )
        notification_refresh_status(notification, actor=actor, reason=reason, record=True)
    return locked
