"""What support agents do from the console, each audited with who and why: resend a delivery
(a new delivery linked to the old one), send a one-off message from a template, and work the
queues of inbound replies, reschedule and callback requests (assign, resolve). And what merchants
do from the template studio that sends: a test of a draft to the editor's own address. A service
that makes a delivery returns it; its caller (view, admin action) queues it after commit."""

import uuid

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
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=delivery.notification_id)
        )
        old = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if old.status in (Delivery.Status.PENDING, Delivery.Status.SENDING):
            raise ValidationError(f"Delivery #{old.pk} is still {old.status}: nothing to resend yet.")
        if notification.status == Notification.Status.SUPERSEDED:
            raise ValidationError("A newer update superseded this notification; resend that one instead.")
        # the customer's current address; an answer to a number we do not know goes to that number again
        to = (
            address_for(customer=notification.customer, channel=old.channel) if notification.customer else ""
        ) or old.to
        if not to:
            raise ValidationError(f"The customer has no {old.channel} address on file.")
        new = Delivery.objects.create(
            notification=notification, channel=old.channel, to=to, resend_of=old, send_after=timezone.now()
        )
        notification_refresh_status(notification, actor=actor, reason=reason, record=True)
        audit(
            obj=new,
            action=AuditAction.RESENT,
            to_state=Delivery.Status.PENDING,
            actor=actor,
            reason=reason,
            data={"resend_of": old.pk, "to": to},
        )
        audit(obj=old, action=AuditAction.RESEND_REQUESTED, actor=actor, reason=reason, data={"resend": new.pk})
    return new


def _one_off_payload(customer: Customer, template: Template) -> dict:
    """The snapshot a one-off message renders from: the customer's latest event that notified them
    of this type, else their latest event with an order, else the type's realistic sample."""
    from catalogue import snapshots

    ntype = template.notification_type
    latest = (
        Notification.objects.filter(customer=customer, notification_type=ntype)
        .select_related("event")
        .order_by("-id")
        .first()
    )
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
            type="console.one_off",
            subject_type="customer",
            subject_id=customer.pk,
            brand=customer.brand,
            customer=customer,
            order_id=None,
            payload=_one_off_payload(customer, template),
            processed_at=now,
        )
        notification = Notification.objects.create(
            dedupe_key=f"oneoff:{event.pk}",
            customer=customer,
            brand=customer.brand,
            notification_type=template.notification_type,
            event=event,
            subject_key=f"customer:{customer.pk}",
            language=resolve_language(customer=customer, brand=customer.brand),
            channels=[template.channel],
            reason="",
            send_after=now,
        )
        delivery = Delivery.objects.create(notification=notification, channel=template.channel, to=to, send_after=now)
        notification_transition(
            notification=notification,
            to_status=Notification.Status.SENDING,
            actor=actor,
            reason=reason,
            action=AuditAction.ONE_OFF_SENT,
            data={"template": template.pk, "channel": template.channel, "delivery": delivery.pk},
        )
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
        audit(
            obj=locked, action=AuditAction.RESOLVED, from_state="open", to_state="resolved", actor=actor, reason=reason
        )
    return locked


# --- The template studio's test send ---------------------------------------------------------------

STAFF_TAG = "staff"


def staff_customer_for(*, brand, username: str, channel: str, address: str, language: str, actor: str) -> Customer:
    """The customer record standing for staff member ``username`` in ``brand`` (named
    "<username> (staff)", tagged ``staff``): their test sends are made out to it, so each shows in
    its timeline like any message. Its address on ``channel`` becomes ``address`` (validated as
    customers' are). KPIs leave test sends out by their type (the ``staff`` category)."""
    from customers.services import customer_update

    name = f"{username} (staff)"[:200]
    with transaction.atomic():
        customer = next(
            (
                c
                for c in Customer.objects.select_for_update().filter(brand=brand, name=name).order_by("pk")
                if STAFF_TAG in (c.tags or [])
            ),
            None,
        )
        if customer is None:
            customer = Customer.objects.create(brand=brand, name=name, tags=[STAFF_TAG])
            audit(obj=customer, action=AuditAction.CREATED, actor=actor, data={"staff": username})
        data = {"language": language}
        if channel == "email":
            data["email"] = address
        elif channel in ("sms", "whatsapp"):
            data["phone"] = address
        return customer_update(customer=customer, data=data, actor=actor)


def template_test_send(
    *, template: Template, language: str, sources: dict[str, str], to: str, username: str, actor: str
) -> Notification:
    """Send the studio's draft of ``template`` (``sources``: field -> source in ``language``) as a
    test to the editor's own address ``to``, through the pipeline: rendered exactly as the preview
    renders it (the subject marked [TEST]), as a direct notification (type ``studio_test``) to the
    editor's staff record of the brand the preview shows (else the first brand), so its delivery,
    attempts and timeline say what became of it. ValidationError when there is no address, the
    draft has errors, or no brand exists to send it in the name of."""
    from catalogue.snapshots import brand_snapshot
    from console.studio import preview_context, render_preview  # the studio's rendering of a draft
    from customers.models import Brand
    from notifications.services.direct import direct_notification_send

    to = (to or "").strip()
    if not to:
        raise ValidationError("No address: set an email on your account, or give your number.")
    preview = render_preview(template, language, sources)
    if preview["errors"]:
        raise ValidationError("Not sent: the template has errors.")
    slug = (preview_context(template, language)[0].get("brand") or {}).get("slug")
    brand = (Brand.objects.filter(slug=slug).first() if slug else None) or Brand.objects.order_by("pk").first()
    if brand is None:
        raise ValidationError("No brand yet: a test goes out in a brand's name, so add one first.")
    r = preview["rendered"]
    content = {
        "subject": f"[TEST] {r['subject']}".strip(),
        "preheader": r["preheader"],
        "body_text": r["body_text"],
        "body_html": r["body_html"],
        "link": r["link"],
    }
    with transaction.atomic():
        staff = staff_customer_for(
            brand=brand, username=username, channel=template.channel, address=to, language=language, actor=actor
        )
        notification = direct_notification_send(
            type_key="studio_test",
            channel=template.channel,
            content=content,
            to=address_for(customer=staff, channel=template.channel),
            dedupe_key=f"studio-test:{uuid.uuid4().hex}",
            cause="studio.test_send",
            subject=("template", template.pk),
            customer=staff,
            brand=brand,
            payload={
                "template": template.pk,
                "type": template.notification_type.key,
                "language": language,
                "brand": brand_snapshot(brand),
            },
            language=language,
        )
        audit(
            obj=template,
            action=AuditAction.TEST_SENT,
            to_state="queued",
            actor=actor,
            reason=f"test send to {to}",
            data={"language": language, "notification": notification.pk},
        )
    return notification
