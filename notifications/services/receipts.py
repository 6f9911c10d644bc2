"""Provider receipts and suppressions: apply a normalised webhook event to its delivery (deduped
by the provider's event id, statuses only move forward, a failure falls back to the plan's next
channel), and keep the suppression list that hard bounces and complaints feed."""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.receipts import (
    ARRIVED_KINDS,
    BOUNCED,
    CLICKED,
    COMPLAINED,
    DELIVERED,
    FAILURE_KINDS,
    OPENED,
    READ,
    REJECTED,
    UNSUBSCRIBED,
    Receipt,
)
from core.audit import AuditAction
from core.transitions import audit
from notifications.models import Delivery, Notification, ProviderEvent, Suppression
from notifications.queueing import deliveries_enqueue_on_commit
from notifications.services.dispatch import delivery_fail
from notifications.services.reconcile import attempts_settle_by_receipt
from notifications.services.transitions import delivery_set_status, notification_refresh_status
from preferences.models import ChannelConsent
from preferences.services import consent_set

logger = logging.getLogger(__name__)

# How far along each delivery status is; a receipt never moves a delivery backwards.
_RANK = {
    Delivery.Status.PENDING: 0,
    Delivery.Status.SENDING: 1,
    Delivery.Status.RECONCILING: 1,
    Delivery.Status.SENT: 2,
    Delivery.Status.DELIVERED: 3,
    Delivery.Status.FAILED: 4,
    Delivery.Status.BOUNCED: 4,
    Delivery.Status.DEAD: 4,
    Delivery.Status.SUPPRESSED: 4,
    Delivery.Status.SUPERSEDED: 4,
}


# A provider's time of an event further from what can be true than this (later than now, or
# before the delivery existed) is a wrong clock: the time the receipt reached us is used instead.
CLOCK_SKEW = timedelta(minutes=2)


def _event_time(receipt: Receipt, *, delivery: Delivery, now):
    """When the event happened: the provider's time where the webhook kept it (trustworthy
    clocks only) and it is plausible for this delivery, else when it reached us."""
    at = receipt.occurred_at
    if at is None or at > now + CLOCK_SKEW or at < delivery.created_at - CLOCK_SKEW:
        return now
    return at


def _find_delivery(receipt: Receipt) -> Delivery | None:
    qs = Delivery.objects.all()
    if receipt.delivery_id:
        return qs.filter(pk=receipt.delivery_id).first()
    if receipt.provider_message_id:
        return qs.filter(provider_message_id=receipt.provider_message_id).order_by("-id").first()
    return None


def receipt_received(receipt: Receipt) -> ProviderEvent | None:
    """A provider's receipt as its webhook parsed it (``channels.receipts.receipt_received``):
    applied in one transaction, its follow-up deliveries queued after commit. A reference that
    is not one of our deliveries is dropped (the message id may still find it)."""
    if receipt.delivery_id and not Delivery.objects.filter(pk=receipt.delivery_id).exists():
        receipt.delivery_id = None
    with transaction.atomic():
        stored, follow_up = receipt_apply(receipt)
        if stored is None:
            logger.info("duplicate %s event %s ignored", receipt.provider, receipt.event_id)
        elif stored.delivery_id is None:
            logger.info(
                "%s %s event for an unknown message (%s): recorded, not applied",
                receipt.provider,
                receipt.kind,
                receipt.provider_message_id,
            )
        deliveries_enqueue_on_commit(follow_up)
    return stored


def receipt_apply(receipt: Receipt) -> tuple[ProviderEvent | None, list[Delivery]]:
    """Record and apply one provider event. Returns the stored event (None for a duplicate) and
    any fallback deliveries to dispatch after commit. Unknown messages are recorded, not errors."""
    now = timezone.now()
    follow_up: list[Delivery] = []
    with transaction.atomic():
        target = _find_delivery(receipt)
        try:
            with transaction.atomic():
                event = ProviderEvent.objects.create(
                    provider=receipt.provider,
                    event_id=receipt.event_id[:200],
                    kind=receipt.kind,
                    delivery=target,
                    provider_message_id=receipt.provider_message_id[:200],
                    recipient=receipt.recipient[:254],
                    occurred_at=receipt.occurred_at or now,
                    detail=receipt.detail[:500],
                    payload=receipt.payload,
                )
        except IntegrityError:
            return None, []  # the provider sent this event before
        if target is None:
            return event, []
        notification = Notification.objects.select_for_update().get(pk=target.notification_id)
        delivery = Delivery.objects.select_for_update().get(pk=target.pk)
        fields = {"provider_status": receipt.kind}
        if receipt.cost is not None:
            fields["cost"] = receipt.cost
        applied = settled = False
        at = _event_time(receipt, delivery=delivery, now=now)
        if delivery.status == Delivery.Status.RECONCILING and receipt.kind in ARRIVED_KINDS:
            # Whatever it says, the provider has the message: the send whose outcome was unknown
            # did arrive. Not a failure or a delivery: it is sent, and the kind applies on top.
            attempts_settle_by_receipt(delivery=delivery, provider_message_id=receipt.provider_message_id, now=now)
            if receipt.provider_message_id:
                fields["provider_message_id"] = receipt.provider_message_id[:200]
            if receipt.kind != DELIVERED and receipt.kind not in FAILURE_KINDS:
                delivery_set_status(delivery, Delivery.Status.SENT, sent_at=now, error="", **fields)
            settled = applied = True
        if receipt.kind == DELIVERED and _RANK[delivery.status] < _RANK[Delivery.Status.DELIVERED]:
            applied = True
            delivery_set_status(delivery, Delivery.Status.DELIVERED, delivered_at=at, receipt_at=now, **fields)
        elif receipt.kind == READ:
            # Read implies delivered (a "delivered" receipt may come late, or never).
            applied = delivery.read_at is None or _RANK[delivery.status] < _RANK[Delivery.Status.DELIVERED]
            read = {"read_at": delivery.read_at or at, **fields}
            if _RANK[delivery.status] < _RANK[Delivery.Status.DELIVERED]:
                delivery_set_status(delivery, Delivery.Status.DELIVERED, delivered_at=at, receipt_at=now, **read)
            elif applied:
                for name, value in read.items():
                    setattr(delivery, name, value)
                delivery.save(update_fields=[*read, "updated_at"])
        elif receipt.kind in FAILURE_KINDS and (
            delivery.status in (Delivery.Status.SENDING, Delivery.Status.RECONCILING, Delivery.Status.SENT)
            or delivery.status == Delivery.Status.DELIVERED
            and receipt.kind == BOUNCED
        ):
            applied = True
            failed_status = Delivery.Status.BOUNCED if receipt.kind == BOUNCED else Delivery.Status.FAILED
            if receipt.kind == BOUNCED and receipt.hard or receipt.kind == REJECTED:
                suppression_add(
                    channel=delivery.channel,
                    address=delivery.to,
                    reason=Suppression.Reason.HARD_BOUNCE
                    if delivery.channel == "email"
                    else Suppression.Reason.INVALID,
                    detail=receipt.detail,
                    source=f"{receipt.provider}:{receipt.event_id}",
                )
            fallback = delivery_fail(
                delivery=delivery,
                notification=notification,
                error=f"{receipt.kind}: {receipt.detail}".strip(": "),
                status=failed_status,
                receipt_at=now,
                **fields,
            )
            if fallback:
                follow_up.append(fallback)
        elif receipt.kind == COMPLAINED:
            applied = True
            suppression_add(
                channel=delivery.channel,
                address=delivery.to,
                reason=Suppression.Reason.COMPLAINT,
                detail=receipt.detail,
                source=f"{receipt.provider}:{receipt.event_id}",
            )
        elif receipt.kind == OPENED:
            applied = True
            delivery.open_count += 1
            delivery.opened_at = delivery.opened_at or at
            delivery.save(update_fields=["open_count", "opened_at", "updated_at"])
        elif receipt.kind == CLICKED:
            applied = True
            delivery.click_count += 1
            delivery.clicked_at = delivery.clicked_at or at
            delivery.opened_at = delivery.opened_at or at
            delivery.save(update_fields=["click_count", "clicked_at", "opened_at", "updated_at"])
        elif receipt.kind == UNSUBSCRIBED and delivery.channel == "email" and notification.customer_id:
            # The ESP's own unsubscribe (its link or list-unsubscribe): consent law for the channel.
            applied = True
            consent_set(
                customer=notification.customer,
                channel="email",
                state=ChannelConsent.State.OPTED_OUT,
                source="email_unsubscribe",
                actor=f"provider:{receipt.provider}",
                delivery_id=delivery.pk,
                notification_id=notification.pk,
                reference=receipt.event_id,
            )
        else:
            applied = settled  # queued/sent/deferred/unknown, or a late receipt that would move backwards
        if applied:
            notification_refresh_status(notification)
        event.applied = applied
        event.save(update_fields=["applied"])
    return event, follow_up


def suppression_active(*, channel: str, address: str) -> Suppression | None:
    if not address:
        return None
    return Suppression.objects.filter(channel=channel, address__iexact=address, lifted_at__isnull=True).first()


def suppression_add(*, channel: str, address: str, reason: str, detail: str = "", source: str = "") -> Suppression:
    existing = suppression_active(channel=channel, address=address)
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Suppression.objects.create(
                channel=channel,
                address=address.lower() if channel == "email" else address,
                reason=reason,
                detail=detail[:500],
                source=source[:120],
            )
    except IntegrityError:
        return suppression_active(channel=channel, address=address)


def suppression_lift(*, suppression: Suppression, actor: str, reason: str) -> Suppression:
    """Lift a suppression (an agent's decision, recorded with who and why)."""
    if not reason.strip():
        from django.core.exceptions import ValidationError

        raise ValidationError({"lift_reason": ["Say why the suppression is lifted."]})
    with transaction.atomic():
        locked = Suppression.objects.select_for_update().get(pk=suppression.pk)
        if locked.lifted_at:
            return locked
        locked.lifted_at, locked.lifted_by, locked.lift_reason = timezone.now(), actor, reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit(obj=locked, action=AuditAction.SUPPRESSION_LIFTED, actor=actor, reason=reason)
    return locked
