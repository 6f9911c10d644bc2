"""Dispatch: send one delivery through its channel's provider, exactly once.

Three short steps: claim (lock, state check, create the attempt with its idempotency key),
call the provider outside any transaction, record (lock, move the state machine: sent, retry
with backoff and jitter, fall back to the next channel, or dead)."""
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template import TemplateSyntaxError
from django.utils import timezone

from core.transitions import machine

from ..channels import provider_for, provider_named
from ..channels.base import OutboundMessage, SendResult, SendStatus
from ..models import Delivery, DeliveryAttempt, Notification, PipelineSettings, Suppression
from . import sms_policy
from .compose import compose_message

D, N, A = Delivery.Status, Notification.Status, DeliveryAttempt.Outcome

DELIVERY_MACHINE = machine("delivery", {
    D.PENDING: {D.SENDING, D.SUPERSEDED, D.SUPPRESSED, D.DEAD},
    D.SENDING: {D.SENT, D.DELIVERED, D.PENDING, D.FAILED, D.DEAD, D.SUPPRESSED, D.BOUNCED},
    D.SENT: {D.DELIVERED, D.FAILED, D.BOUNCED, D.DEAD},
    D.DELIVERED: {D.BOUNCED},
    D.FAILED: set(),
    D.BOUNCED: set(),
    D.SUPPRESSED: set(),
    D.SUPERSEDED: set(),
    D.DEAD: {D.PENDING},  # an agent's requeue
})


def delivery_set_status(delivery: Delivery, status: str, **fields) -> Delivery:
    """Move a locked delivery through its state machine and save only what changed."""
    DELIVERY_MACHINE.check(delivery.status, status)
    delivery.status = status
    for name, value in fields.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["status", "updated_at", *fields])
    return delivery


def notification_refresh_status(notification: Notification) -> Notification:
    """A notification's status follows the best of its deliveries."""
    if notification.status in (N.SUPERSEDED, N.NOT_SENT):
        return notification
    statuses = set(notification.deliveries.values_list("status", flat=True))
    if D.DELIVERED in statuses:
        status = N.DELIVERED
    elif D.SENT in statuses:
        status = N.SENT
    elif statuses & {D.PENDING, D.SENDING}:
        status = N.SENDING if D.SENDING in statuses or notification.status == N.SENDING else N.PLANNED
    elif statuses and statuses <= {D.SUPERSEDED}:
        status = N.SUPERSEDED
    else:
        status = N.DEAD
    if status != notification.status:
        notification.status = status
        notification.save(update_fields=["status", "updated_at"])
    return notification


@dataclass
class Claim:
    delivery: Delivery
    attempt: DeliveryAttempt


def backoff_seconds(attempt_number: int, *, scale: float = 1.0) -> float:
    """Exponential backoff with jitter (half fixed, half random), capped."""
    ceiling = min(settings.DELIVERY_BACKOFF_MAX_SECONDS, settings.DELIVERY_BACKOFF_BASE_SECONDS * 2 ** (attempt_number - 1))
    return (ceiling / 2 + random.uniform(0, ceiling / 2)) * scale


def _claim(delivery_id: int, *, recover: bool) -> Claim | None:
    now = timezone.now()
    with transaction.atomic():
        # Lock order everywhere: notification, then delivery. The notification is found through
        # the delivery in the locking query itself (one round trip fewer per send: bench profile).
        notification = Notification.objects.select_for_update().filter(
            pk__in=Delivery.objects.filter(pk=delivery_id).values("notification_id")).first()
        if notification is None:
            return None
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status == D.SENDING and recover:
            stale = now - timezone.timedelta(seconds=settings.DELIVERY_SENDING_STALE_SECONDS * PipelineSettings.current().time_scale)
            if delivery.updated_at > stale:
                return None
            attempt = delivery.attempts.filter(outcome=A.IN_FLIGHT).order_by("-number").first()
            if attempt is None:
                delivery_set_status(delivery, D.PENDING)
                return None
            delivery.save(update_fields=["updated_at"])  # fence off a second recoverer
            return Claim(delivery, attempt)
        if delivery.status != D.PENDING or delivery.send_after > now:
            return None
        if notification.status == N.SUPERSEDED:
            delivery_set_status(delivery, D.SUPERSEDED, error=notification.reason)
            return None
        suppression = Suppression.objects.filter(channel=delivery.channel, address__iexact=delivery.to,
                                                 lifted_at__isnull=True).first() if delivery.to else None
        if suppression:
            fallback = delivery_fail(delivery=delivery, notification=notification, status=D.SUPPRESSED,
                                     error=f"suppressed: {suppression.get_reason_display()}")
            if fallback:
                transaction.on_commit(lambda: _enqueue([fallback]))
            return None
        if sms_policy.consent_withdrawn(delivery=delivery, notification=notification):
            fallback = delivery_fail(delivery=delivery, notification=notification, status=D.SUPPRESSED,
                                     error="no consent: the customer opted out of this channel")
            if fallback:
                transaction.on_commit(lambda: _enqueue([fallback]))
            return None
        defer_until = sms_policy.cap_defer_until(delivery=delivery, notification=notification, now=now)
        if defer_until:  # over the customer's SMS cap: later, not never (the sweeper picks it up)
            delivery.send_after = defer_until
            delivery.save(update_fields=["send_after", "updated_at"])
            return None
        number = delivery.attempt_count + 1
        # SMS may route through several providers: each attempt names the one it uses.
        provider = provider_for(delivery.channel, to=delivery.to, attempt_number=number)
        delivery_set_status(delivery, D.SENDING, attempt_count=number, provider=provider.name)
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery, number=number, provider=provider.name,
            idempotency_key=f"wp-{delivery.pk}-{number}",
        )
        if notification.status == N.PLANNED:
            notification.status = N.SENDING
            notification.save(update_fields=["status", "updated_at"])
    return Claim(delivery, attempt)


def _enqueue(deliveries) -> None:
    from ..tasks import enqueue_deliveries

    enqueue_deliveries(deliveries)


def _fallback_channel(notification: Notification, delivery: Delivery) -> str | None:
    if notification.mode != "fallback" or delivery.channel not in notification.channels:
        return None
    tried = set(notification.deliveries.values_list("channel", flat=True))
    for channel in notification.channels[notification.channels.index(delivery.channel) + 1:]:
        if channel not in tried:
            return channel
    return None


def delivery_fail(*, delivery: Delivery, notification: Notification, error: str, status: str = D.FAILED,
                  **fields) -> Delivery | None:
    """Give up on a locked delivery (``status``: failed, bounced or suppressed): fall back to the
    plan's next channel (returned, to dispatch) or, when none is left, a failed one is dead —
    listed in the admin's dead letters."""
    from preferences.selectors import address_for, hold_until_for

    next_channel = _fallback_channel(notification, delivery)
    if next_channel is None and status == D.FAILED:
        status = D.DEAD
    delivery_set_status(delivery, status, error=error[:2000], **fields)
    if next_channel is None:
        notification_refresh_status(notification)
        return None
    return Delivery.objects.create(notification=notification, channel=next_channel,
                                   to=address_for(customer=notification.customer, channel=next_channel),
                                   # a fallback to SMS at night waits for the customer's quiet hours to end
                                   send_after=hold_until_for(customer=notification.customer, channel=next_channel,
                                                             critical=notification.notification_type.critical))


def _record(claim: Claim, result: SendResult, latency_ms: int) -> list[Delivery]:
    """Apply a provider result; returns deliveries to dispatch next (retries or fallbacks)."""
    now = timezone.now()
    follow_up: list[Delivery] = []
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=claim.delivery.notification_id)
        delivery = Delivery.objects.select_for_update().get(pk=claim.delivery.pk)
        attempt = DeliveryAttempt.objects.select_for_update().get(pk=claim.attempt.pk)
        if attempt.outcome != A.IN_FLIGHT:
            return []  # recorded already by a recovered copy of this send
        if delivery.status != D.SENDING:
            # A provider receipt overtook the API answer: keep the attempt's record, not the status.
            attempt.outcome = A.ACCEPTED if result.status in (SendStatus.ACCEPTED, SendStatus.DELIVERED) else A.PERMANENT
            attempt.finished_at, attempt.latency_ms = now, latency_ms
            attempt.provider_message_id = result.provider_message_id
            attempt.save()
            if result.provider_message_id and not delivery.provider_message_id:
                delivery.provider_message_id = result.provider_message_id
                delivery.save(update_fields=["provider_message_id", "updated_at"])
            return []
        attempt.finished_at, attempt.latency_ms = now, latency_ms
        attempt.provider_message_id, attempt.error_code = result.provider_message_id, result.error_code
        attempt.error_text, attempt.cost = result.error_text[:2000], result.cost
        if result.status in (SendStatus.ACCEPTED, SendStatus.DELIVERED):
            attempt.outcome = A.ACCEPTED
            attempt.save()
            delivered = result.status == SendStatus.DELIVERED
            delivery_set_status(
                delivery, D.DELIVERED if delivered else D.SENT, sent_at=now,
                provider_message_id=result.provider_message_id, cost=result.cost, error="",
                **({"delivered_at": now} if delivered else {}),
            )
            notification_refresh_status(notification)
            return []
        attempt.outcome = A.TRANSIENT if result.status == SendStatus.TRANSIENT else A.PERMANENT
        attempt.save()
        error = f"{result.error_code}: {result.error_text}".strip(": ")
        if result.status == SendStatus.TRANSIENT and delivery.attempt_count - delivery.retry_floor < settings.DELIVERY_MAX_ATTEMPTS:
            wait = backoff_seconds(delivery.attempt_count, scale=PipelineSettings.current().time_scale)
            delivery_set_status(delivery, D.PENDING, send_after=now + timezone.timedelta(seconds=wait), error=error)
            follow_up.append(delivery)
        else:
            fallback = delivery_fail(delivery=delivery, notification=notification, error=error)
            if fallback:
                follow_up.append(fallback)
    return follow_up


def delivery_send(*, delivery_id: int, recover: bool = False) -> list[Delivery]:
    """Send a due delivery (or finish a stale in-flight one when ``recover``). Safe to run twice:
    the second run finds the state moved and does nothing. Returns deliveries to dispatch next."""
    claim = _claim(delivery_id, recover=recover)
    if claim is None:
        return []
    started = time.monotonic()
    try:
        message: OutboundMessage = compose_message(claim.delivery)
    except (LookupError, TemplateSyntaxError) as exc:  # no usable template: this channel cannot carry it
        result = SendResult(SendStatus.PERMANENT, error_code="template", error_text=str(exc))
    else:
        try:
            provider = provider_named(claim.delivery.channel, claim.attempt.provider)
            result = provider.send(message, idempotency_key=claim.attempt.idempotency_key)
        except Exception as exc:  # a provider bug or network failure is transient; never lose the delivery
            result = SendResult(SendStatus.TRANSIENT, error_code=exc.__class__.__name__, error_text=str(exc))
    return _record(claim, result, int((time.monotonic() - started) * 1000))


def delivery_requeue(*, delivery: Delivery, actor: str = "", reason: str = "") -> Delivery:
    """An agent's requeue of a dead delivery: back to pending, due now, attempts reset."""
    from core.transitions import audit

    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=delivery.notification_id)
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        delivery_set_status(locked, D.PENDING, send_after=timezone.now(), retry_floor=locked.attempt_count, error="")
        notification.status = N.SENDING
        notification.save(update_fields=["status", "updated_at"])
        audit(obj=locked, action="requeued", from_state=D.DEAD, to_state=D.PENDING, actor=actor, reason=reason)
    return locked
