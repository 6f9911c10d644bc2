"""Planning: an event, its recipients and the matching rules become Notification rows (unique
by dedupe key) with their first Delivery rows, after language, consent and coalescing."""
import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from preferences.models import Customer
from preferences.selectors import address_for, effective_plan

from ..models import Delivery, Event, Notification, PipelineSettings, Rule
from ..rendering import TEMPLATE_LANGUAGES
from ..selectors import event_recipients, rules_for

N, D = Notification.Status, Delivery.Status

SUBJECT_FIELDS = {"return": "return_request_id", "order": "order_id"}


def resolve_language(*, customer: Customer, brand) -> str:
    """The customer's language if templates exist for it (``es-MX`` -> ``es``), else the brand's,
    else English. Returns the full tag so money and dates keep the customer's region."""
    for tag in (customer.language, brand.default_language if brand else "", "en"):
        if tag and tag.split("-")[0].lower() in TEMPLATE_LANGUAGES:
            return tag
    return "en"


def _subject_key(event: Event) -> str:
    kind = "product" if event.subject_type == "stock" else event.subject_type
    return f"{kind}:{event.subject_id}"


def _status_key(event: Event) -> str:
    status = event.payload.get("to_status") or event.type.split(".")[-1]
    if event.subject_type == "stock":
        # Each back-in-stock episode is news; the same one reported twice is not.
        return f"{event.type}:{timezone.localdate(event.created_at).isoformat()}"
    return f"{event.type.split('.')[0]}.{status}"


def _supersede_older(notification: Notification) -> None:
    """Supersede still-planned notifications of the same coalescing group and subject that came
    from older events; if a newer one already exists, supersede this one instead."""
    group = notification.notification_type.coalesce_group
    if not group:
        return
    siblings = (
        Notification.objects.select_for_update()
        .filter(customer_id=notification.customer_id, subject_key=notification.subject_key,
                notification_type__coalesce_group=group)
        .exclude(pk=notification.pk)
        .exclude(status=N.SUPERSEDED)
    )
    for other in siblings.order_by("event_id"):
        if other.event_id < notification.event_id and other.status == N.PLANNED:
            _mark_superseded(other, by=notification)
        elif other.event_id > notification.event_id:
            _mark_superseded(notification, by=other)
            return


def _mark_superseded(notification: Notification, *, by: Notification) -> None:
    notification.status = N.SUPERSEDED
    notification.superseded_by = by
    notification.reason = f"superseded by a newer update ({by.notification_type.key})"
    notification.save(update_fields=["status", "superseded_by", "reason", "updated_at"])
    Delivery.objects.filter(notification=notification, status=D.PENDING).update(
        status=D.SUPERSEDED, error=notification.reason, updated_at=timezone.now())


def notification_plan(*, event: Event, customer: Customer, rule: Rule, now=None,
                      settings_row: PipelineSettings | None = None) -> tuple[Notification | None, list[Delivery]]:
    """Create the notification for one customer and one rule, or nothing if its dedupe key exists.
    Returns it with the deliveries created for it."""
    now = now or timezone.now()
    ntype = rule.notification_type
    subject_key = _subject_key(event)
    dedupe_key = f"{customer.pk}:{ntype.key}:{subject_key}:{_status_key(event)}"
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None, []
    plan = effective_plan(customer=customer, type_key=ntype.key, category=ntype.category, critical=ntype.critical,
                          channels=rule.channels, mode=rule.mode, now=now)
    allowed, skipped = plan.channels, plan.skipped
    scale = (settings_row or PipelineSettings.current()).time_scale
    send_after = now + dt.timedelta(seconds=rule.coalesce_seconds * scale)
    if plan.digest_at:
        send_after = plan.digest_at  # held: the digest builder picks it up then (no deliveries yet)
    elif plan.hold_until:
        send_after = min(plan.send_after(c, send_after) for c in (allowed if plan.mode == Rule.Mode.ALL else allowed[:1]))
    brand = customer.brand
    fields = dict(
        dedupe_key=dedupe_key, customer=customer, brand_id=event.brand_id or customer.brand_id,
        notification_type=ntype, rule=rule, event=event, subject_key=subject_key,
        order_id=event.order_id, language=resolve_language(customer=customer, brand=brand),
        channels=allowed, mode=plan.mode, skipped=skipped, priority=rule.priority, send_after=send_after,
        hold=plan.hold, reason=plan.reason[:200],
    )
    if event.subject_type == "return":
        fields["return_request_id"] = event.subject_id
    if not allowed:
        fields.update(status=N.NOT_SENT, reason="; ".join(f"{c}: {r.replace('_', ' ')}" for c, r in skipped.items()))
    try:
        with transaction.atomic():
            notification = Notification.objects.create(**fields)
    except IntegrityError:
        return None, []  # planned concurrently by a redelivered copy of this event
    if not allowed:
        return notification, []
    _supersede_older(notification)
    if notification.status == N.SUPERSEDED or plan.digest_at:
        return notification, []
    first = allowed if plan.mode == Rule.Mode.ALL else allowed[:1]
    base = now + dt.timedelta(seconds=rule.coalesce_seconds * scale)
    deliveries = Delivery.objects.bulk_create([
        Delivery(notification=notification, channel=c, to=address_for(customer=customer, channel=c),
                 send_after=plan.send_after(c, base)) for c in first
    ])
    return notification, deliveries


def event_process(*, event_id: int) -> list[Delivery]:
    """Plan every notification an event causes; idempotent (a processed event is skipped, and
    dedupe keys stop a second plan). Returns the new deliveries, to dispatch after commit."""
    now = timezone.now()
    with transaction.atomic():
        # The recipient and brand come with the locked row (one query, not three: bench profile).
        event = (Event.objects.select_for_update(of=("self",)).select_related("customer__brand")
                 .filter(pk=event_id).first())
        if event is None or event.processed_at:
            return []
        settings_row = PipelineSettings.current()
        rules = list(Rule.objects.filter(event_type=event.type, is_active=True).select_related("notification_type"))
        due: list[Delivery] = []
        for customer in event_recipients(event=event) if rules else []:
            for rule in rules_for(event=event, customer=customer, rules=rules):
                _notification, deliveries = notification_plan(event=event, customer=customer, rule=rule, now=now,
                                                              settings_row=settings_row)
                due.extend(deliveries)
        event.processed_at = timezone.now()
        event.processing_attempts += 1
        event.save(update_fields=["processed_at", "processing_attempts"])
    return due
