"""What support agents do from the console, each audited with who and why: resend a delivery
(a new delivery linked to the old one), send a one-off message from a template, and work the
queues of inbound replies, reschedule and callback requests (assign, resolve). A service that
makes a delivery returns it; its caller (view, admin action) queues it after commit."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalogue.models import Template
from catalogue.rendering import ALWAYS
from catalogue.shipped import context_parts
from core.audit import AuditAction
from core.transitions import audit
from customers.models import Customer
from notifications.models import (
    CallbackRequest,
    Delivery,
    Event,
    InboundMessage,
    Notification,
    RescheduleRequest,
)
from notifications.services.transitions import notification_refresh_status, notification_transition
from preferences.selectors import address_for

D, N = Delivery.Status, Notification.Status
QUEUE_MODELS = (InboundMessage, RescheduleRequest, CallbackRequest)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why (it is kept in the audit trail).")
    return reason


def delivery_resend(*, delivery: Delivery, actor: str, reason: str) -> Delivery:
    """Send ``delivery``'s message again on the same channel, to the customer's current address:
    a new pending delivery with ``resend_of`` pointing at the old one, due now; a dead
    notification is sending again. Refused while the old one is still on its way, or when a
    newer update superseded the notification. Returns the new delivery, for the caller to queue
    (``deliveries_enqueue_on_commit``)."""
    reason = _require_reason(reason)
    with transaction.atomic():
        notification = Notification.objects.select_for_update().select_related("customer").get(pk=delivery.notification_id)
        old = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if old.status in (D.PENDING, D.SENDING):
            raise ValidationError(f"Delivery #{old.pk} is still {old.status}: nothing to resend yet.")
        if notification.status == N.SUPERSEDED:
            raise ValidationError("A newer update superseded this notification; resend that one instead.")
        to = address_for(customer=notification.customer, channel=old.channel) or old.to
        if not to:
            raise ValidationError(f"The customer has no {old.channel} address on file.")
        new = Delivery.objects.create(notification=notification, channel=old.channel, to=to, resend_of=old,
                                      send_after=timezone.now())
        notification_refresh_status(notification, actor=actor, reason=reason, record=True)
        audit(obj=new, action=AuditAction.RESENT, to_state=D.PENDING, actor=actor, reason=reason,
              data={"resend_of": old.pk, "to": to})
        audit(obj=old, action=AuditAction.RESEND_REQUESTED, actor=actor, reason=reason, data={"resend": new.pk})
    return new


def _one_off_payload(customer: Customer, template: Template) -> dict:
    """The snapshot a one-off message renders from: the customer's latest event that notified them
    of this type, else their latest event with an order, else the type's realistic sample."""
    from catalogue import snapshots

    ntype = template.notification_type
    latest = (Notification.objects.filter(customer=customer, notification_type=ntype)
              .select_related("event").order_by("-id").first())
    if latest:
        return dict(latest.event.payload)
    event = Event.objects.filter(customer=customer, order__isnull=False).order_by("-id").first()
    if event and "order" in context_parts(ntype.key, ntype.category):
        return dict(event.payload)
    allowed = set(ALWAYS) | set(context_parts(ntype.key, ntype.category))
    return {k: v for k, v in snapshots.sample_context().items() if k in allowed and k != "customer"}


def message_send_oneoff(*, customer: Customer, template: Template, actor: str, reason: str) -> Delivery:
    """Send ``template`` to ``customer`` once, now, on the template's channel, through the normal
    dispatch (suppressions and SMS consent still apply). Recorded as a processed ``console.one_off``
    event with its own notification (planned, then sending by the agent's decision, audited), so
    the timeline shows it like any other message. Returns its delivery, for the caller to queue
    (``deliveries_enqueue_on_commit``)."""
    from notifications.services.planning import resolve_language

    reason = _require_reason(reason)
    to = address_for(customer=customer, channel=template.channel)
    if not to:
        raise ValidationError(f"The customer has no {template.channel} address on file.")
    now = timezone.now()
    with transaction.atomic():
        event = Event.objects.create(
            type="console.one_off", subject_type="customer", subject_id=customer.pk, brand=customer.brand,
            customer=customer, order_id=None, payload=_one_off_payload(customer, template), processed_at=now)
        notification = Notification.objects.create(
            dedupe_key=f"oneoff:{event.pk}", customer=customer, brand=customer.brand,
            notification_type=template.notification_type, event=event, subject_key=f"customer:{customer.pk}",
            language=resolve_language(customer=customer, brand=customer.brand), channels=[template.channel],
            reason="", send_after=now)
        delivery = Delivery.objects.create(notification=notification, channel=template.channel, to=to, send_after=now)
        notification_transition(notification=notification, to_status=N.SENDING, actor=actor, reason=reason,
                                action=AuditAction.ONE_OFF_SENT,
                                data={"template": template.pk, "channel": template.channel, "delivery": delivery.pk})
    return delivery


def queue_item_assign(*, item, username: str, actor: str) -> object:
    """Assign a waiting inbound reply, reschedule or callback request to an agent."""
    with transaction.atomic():
        locked = type(item).objects.select_for_update().get(pk=item.pk)
        if locked.handled_at:
            raise ValidationError(f"{locked} was already resolved by {locked.handled_by}.")
        previous = locked.assigned_to
        locked.assigned_to, locked.assigned_at = username, timezone.now()
        locked.save(update_fields=["assigned_to", "assigned_at"])
        audit(obj=locked, action=AuditAction.ASSIGNED, from_state=previous, to_state=username, actor=actor)
    return locked


def queue_item_resolve(*, item, actor: str, reason: str) -> object:
    """Mark a queue item dealt with (who and how, in the audit trail)."""
    reason = _require_reason(reason)
    with transaction.atomic():
        locked = type(item).objects.select_for_update().get(pk=item.pk)
        if locked.handled_at:
            raise ValidationError(f"{locked} was already resolved by {locked.handled_by}.")
        locked.handled_at, locked.handled_by = timezone.now(), actor[:120]
        locked.save(update_fields=["handled_at", "handled_by"])
        audit(obj=locked, action=AuditAction.RESOLVED, from_state="open", to_state="resolved", actor=actor, reason=reason)
    return locked
