"""Provider receipts and suppressions: apply a normalised webhook event to its delivery (deduped
by the provider's event id, statuses only move forward, a failure falls back to the plan's next
channel), and keep the suppression list that hard bounces and complaints feed."""
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.transitions import audit
from notifications.models import Delivery, Notification, ProviderEvent, Suppression
from notifications.services.dispatch import delivery_fail, delivery_set_status, notification_refresh_status
from notifications.services.reconcile import attempts_settle_by_receipt

D = Delivery.Status

# Normalised receipt kinds.
DELIVERED, BOUNCED, FAILED, REJECTED, EXPIRED = "delivered", "bounced", "failed", "rejected", "expired"
COMPLAINED, OPENED, CLICKED, UNSUBSCRIBED = "complained", "opened", "clicked", "unsubscribed"
QUEUED, SENT, DEFERRED, UNKNOWN = "queued", "sent", "deferred", "unknown"
FAILURE_KINDS = {BOUNCED, FAILED, REJECTED, EXPIRED}
# Receipts only a provider holding the message can send.
ARRIVED_KINDS = {DELIVERED, QUEUED, SENT, DEFERRED, *FAILURE_KINDS, COMPLAINED, OPENED, CLICKED}
# How far along each delivery status is; a receipt never moves a delivery backwards.
_RANK = {D.PENDING: 0, D.SENDING: 1, D.RECONCILING: 1, D.SENT: 2, D.DELIVERED: 3, D.FAILED: 4, D.BOUNCED: 4, D.DEAD: 4,
         D.SUPPRESSED: 4, D.SUPERSEDED: 4}


@dataclass
class Receipt:
    provider: str
    event_id: str
    kind: str
    provider_message_id: str = ""
    delivery_id: int | None = None
    recipient: str = ""
    occurred_at: object = None
    detail: str = ""
    cost: object = None
    hard: bool = True  # for bounces: hard (permanent) or soft
    payload: dict = field(default_factory=dict)


def _find_delivery(receipt: Receipt) -> Delivery | None:
    qs = Delivery.objects.all()
    if receipt.delivery_id:
        return qs.filter(pk=receipt.delivery_id).first()
    if receipt.provider_message_id:
        return qs.filter(provider_message_id=receipt.provider_message_id).order_by("-id").first()
    return None


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
                    provider=receipt.provider, event_id=receipt.event_id[:200], kind=receipt.kind,
                    delivery=target, provider_message_id=receipt.provider_message_id[:200],
                    recipient=receipt.recipient[:254], occurred_at=receipt.occurred_at or now,
                    detail=receipt.detail[:500], payload=receipt.payload,
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
        if delivery.status == D.RECONCILING and receipt.kind in ARRIVED_KINDS:
            # Whatever it says, the provider has the message: the send whose outcome was unknown
            # did arrive. Not a failure or a delivery: it is sent, and the kind applies on top.
            attempts_settle_by_receipt(delivery=delivery, provider_message_id=receipt.provider_message_id, now=now)
            if receipt.provider_message_id:
                fields["provider_message_id"] = receipt.provider_message_id[:200]
            if receipt.kind != DELIVERED and receipt.kind not in FAILURE_KINDS:
                delivery_set_status(delivery, D.SENT, sent_at=now, error="", **fields)
            settled = applied = True
        if receipt.kind == DELIVERED and _RANK[delivery.status] < _RANK[D.DELIVERED]:
            applied = True
            delivery_set_status(delivery, D.DELIVERED, delivered_at=receipt.occurred_at or now, receipt_at=now, **fields)
        elif receipt.kind in FAILURE_KINDS and (
            delivery.status in (D.SENDING, D.RECONCILING, D.SENT)
            or delivery.status == D.DELIVERED and receipt.kind == BOUNCED
        ):
            applied = True
            failed_status = D.BOUNCED if receipt.kind == BOUNCED else D.FAILED
            if receipt.kind == BOUNCED and receipt.hard or receipt.kind == REJECTED:
                suppression_add(channel=delivery.channel, address=delivery.to, reason=Suppression.Reason.HARD_BOUNCE
                                if delivery.channel == "email" else Suppression.Reason.INVALID,
                                detail=receipt.detail, source=f"{receipt.provider}:{receipt.event_id}")
            fallback = delivery_fail(delivery=delivery, notification=notification,
                                     error=f"{receipt.kind}: {receipt.detail}".strip(": "),
                                     status=failed_status, receipt_at=now, **fields)
            if fallback:
                follow_up.append(fallback)
        elif receipt.kind == COMPLAINED:
            applied = True
            suppression_add(channel=delivery.channel, address=delivery.to, reason=Suppression.Reason.COMPLAINT,
                            detail=receipt.detail, source=f"{receipt.provider}:{receipt.event_id}")
        elif receipt.kind == OPENED:
            applied = True
            delivery.open_count += 1
            delivery.opened_at = delivery.opened_at or receipt.occurred_at or now
            delivery.save(update_fields=["open_count", "opened_at", "updated_at"])
        elif receipt.kind == CLICKED:
            applied = True
            delivery.click_count += 1
            delivery.clicked_at = delivery.clicked_at or receipt.occurred_at or now
            delivery.opened_at = delivery.opened_at or receipt.occurred_at or now
            delivery.save(update_fields=["click_count", "clicked_at", "opened_at", "updated_at"])
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
            return Suppression.objects.create(channel=channel, address=address.lower() if channel == "email" else address,
                                              reason=reason, detail=detail[:500], source=source[:120])
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
        audit(obj=locked, action="suppression_lifted", actor=actor, reason=reason)
    return locked
