"""A customer's whole notification timeline for support agents: events, notifications, deliveries,
provider attempts and receipts, and the audit trail, newest first, each with why."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from catalogue.models import Rule
from core.models import AuditLog
from customers.models import Customer
from notifications.models import Delivery, DeliveryAttempt, Event, Notification, ProviderEvent
from notifications.selectors import notification_why, skipped_text

_TONES = {
    "delivered": "ok",
    "sent": "ok",
    "accepted": "ok",
    "processed": "ok",
    "superseded": "warn",
    "not_sent": "warn",
    "suppressed": "warn",
    "failed": "warn",
    "transient": "warn",
    "unknown": "warn",
    "reconciling": "warn",
    "dead": "error",
    "bounced": "error",
    "permanent": "error",
    "rejected": "error",
    "complained": "error",
    "expired": "error",
    "opened": "ok",
    "clicked": "ok",
}
_KIND_ORDER = {"audit": 0, "event": 1, "notification": 2, "delivery": 3, "attempt": 4, "receipt": 5}


_TIME = "%Y-%m-%d %H:%M:%S %Z"


def _entry(
    *,
    at,
    kind: str,
    model: str,
    pk: int,
    title: str,
    status: str = "",
    status_label: str = "",
    why: str = "",
    details=(),
) -> dict:
    return {
        "at": at,
        "kind": kind,
        "model": model,
        "pk": pk,
        "title": title,
        "status": status,
        "status_label": status_label or status.replace("_", " "),
        "tone": _TONES.get(status, "info"),
        "why": why,
        "details": [d for d in details if d],
    }


def _event_entry(event: Event) -> dict:
    if event.subject_type == "order" and event.order_id:
        subject = f"order {event.order}"
    else:
        subject = f"{event.subject_type.replace('_', ' ')} #{event.subject_id}"
        if event.order_id:
            subject += f" of order {event.order}"
    return _entry(
        at=event.created_at,
        kind="event",
        model="notifications.event",
        pk=event.pk,
        title=f"Event {event.type}",
        status="processed" if event.processed_at else "pending",
        details=[
            subject,
            "" if event.processed_at else "Not processed yet",
            f"Last processing error: {event.last_error}" if event.last_error else "",
        ],
    )


def _notification_entry(n: Notification, deliveries: list[Delivery], now) -> dict:
    about = [
        f"Order {n.order}" if n.order_id else "",
        f"Return {n.return_request.code}" if n.return_request_id else "",
    ]
    plan = f"Channels planned: {', '.join(n.channels)} ({n.get_mode_display().lower()})" if n.channels else ""
    skipped = [] if n.status == Notification.Status.NOT_SENT else [f"Skipped {s}" for s in skipped_text(n.skipped)]
    return _entry(
        at=n.created_at,
        kind="notification",
        model="notifications.notification",
        pk=n.pk,
        title=f"Notification: {n.notification_type.name}",
        status=n.status,
        status_label=n.get_status_display(),
        why=notification_why(n, deliveries, now=now),
        details=[
            ", ".join(filter(None, about)),
            plan,
            *skipped,
            f"Language: {n.language}",
            f"Carried by daily digest #{n.digest_id}" if n.digest_id else "",
            "Written before it was queued (a direct notification, no template)" if n.content else "",
        ],
    )


def _delivery_entry(d: Delivery, n: Notification) -> dict:
    fallback = n.mode == Rule.Mode.FALLBACK and n.channels and d.channel != n.channels[0]
    return _entry(
        at=d.created_at,
        kind="delivery",
        model="notifications.delivery",
        pk=d.pk,
        title=f"Delivery by {d.get_channel_display()}" + (f" to {d.to}" if d.to else ""),
        status=d.status,
        status_label=d.get_status_display(),
        why=_delivery_why(d),
        details=[
            f"Notification #{n.pk} ({n.notification_type.name})",
            "Fallback: an earlier channel of the plan failed" if fallback else "",
            f"Sent {d.sent_at:{_TIME}}" if d.sent_at else "",
            f"Delivered {d.delivered_at:{_TIME}}" if d.delivered_at else "",
            f"Read {d.read_at:{_TIME}}" if d.read_at else "",
            f"Due {d.send_after:{_TIME}}" if d.status == Delivery.Status.PENDING else "",
            f"Requeued by an agent after {d.retry_floor} attempts" if d.retry_floor else "",
        ],
    )


def _delivery_why(d: Delivery) -> str:
    if not d.error:
        return ""
    if d.status in (Delivery.Status.SUPPRESSED, Delivery.Status.SUPERSEDED):
        return d.error[:1].upper() + d.error[1:]  # "Suppressed: Hard bounce", "Superseded by a newer update (...)"
    return f"Error: {d.error}"


_BAD_RECEIPTS = {"bounced", "failed", "rejected", "expired", "complained"}


def _receipt_entry(r: ProviderEvent, d: Delivery) -> dict:
    bad = r.kind in _BAD_RECEIPTS
    return _entry(
        at=r.occurred_at or r.received_at,
        kind="receipt",
        model="notifications.providerevent",
        pk=r.pk,
        title=f"{r.provider} reported {r.kind} for the {d.get_channel_display()} delivery",
        status=r.kind,
        why=r.detail if bad else "",
        details=["" if bad else r.detail, "" if r.applied else "Changed nothing (already further along, or a repeat)"],
    )


def _attempt_entry(a: DeliveryAttempt, d: Delivery, n: Notification) -> dict:
    error = f"{a.error_code}: {a.error_text}".strip(": ")
    return _entry(
        at=a.started_at,
        kind="attempt",
        model="notifications.deliveryattempt",
        pk=a.pk,
        title=f"Attempt {a.number} by {d.get_channel_display()} via {a.provider}",
        status=a.outcome,
        status_label=a.get_outcome_display(),
        why=error,
        details=[
            f"Delivery #{d.pk} of notification #{n.pk} ({n.notification_type.name})",
            f"Provider message id {a.provider_message_id}" if a.provider_message_id else "",
            f"{a.latency_ms} ms" if a.latency_ms is not None else "",
            f"Outcome settled: {a.get_resolution_display().lower()}" if a.resolution else "",
        ],
    )


def _audit_entry(row: AuditLog) -> dict:
    label = row.content_type.model_class()._meta.verbose_name.capitalize()
    change = f"{row.from_state or '-'} -> {row.to_state}" if row.to_state else row.action.replace("_", " ")
    return _entry(
        at=row.created_at,
        kind="audit",
        model="core.auditlog",
        pk=row.pk,
        title=f"{label} #{row.object_id}: {change}",
        status_label=row.action.replace("_", " "),
        details=[f"By {row.actor}", f"Reason: {row.reason}" if row.reason else ""],
    )


def _as_text(queryset: QuerySet) -> QuerySet:
    """The rows' primary keys as text, for a subquery on ``AuditLog.object_id`` (a CharField)."""
    return queryset.annotate(pk_text=Cast("pk", output_field=CharField())).values("pk_text")


def customer_audit_rows(*, customer_id: int, delivery_ids: list[int]) -> QuerySet[AuditLog]:
    """Audit rows of the customer, of their orders, lines, shipments and returns, and of the
    given deliveries (an agent's requeue), oldest first. One query."""
    from orders.models import Order, OrderLine, Shipment
    from returns.models import ReturnRequest

    scopes = {
        Customer: Customer.objects.filter(pk=customer_id),
        Order: Order.objects.filter(customer_id=customer_id),
        OrderLine: OrderLine.objects.filter(order__customer_id=customer_id),
        Shipment: Shipment.objects.filter(order__customer_id=customer_id),
        ReturnRequest: ReturnRequest.objects.filter(order__customer_id=customer_id),
    }
    types = ContentType.objects.get_for_models(*scopes, Delivery, for_concrete_models=False)
    where = Q(content_type=types[Delivery], object_id__in=[str(pk) for pk in delivery_ids])
    for model, queryset in scopes.items():
        where |= Q(content_type=types[model], object_id__in=_as_text(queryset))
    return AuditLog.objects.filter(where).select_related("content_type").order_by("created_at", "id")


def customer_timeline(*, customer_id: int, now=None) -> list[dict]:
    """Everything Waypost did for one customer, oldest first: the status changes (audit rows),
    the events they caused, the notifications planned with why any was not sent, the deliveries,
    the provider attempts and the providers' receipts (delivered, bounced, opened). A fixed number of queries, however long the history.

    Each entry has ``at``, ``kind`` (audit, event, notification, delivery, attempt, receipt), ``model``
    and ``pk`` (the row, for links), ``title``, ``status``, ``status_label``, ``tone`` (ok, info,
    warn, error), ``why`` (the reason it was not sent, or the error) and ``details`` (lines)."""
    now = now or timezone.now()
    attempts = Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("number"))
    receipts = Prefetch("provider_events", queryset=ProviderEvent.objects.order_by("id").defer("payload"))
    notifications = (
        Notification.objects.filter(customer_id=customer_id)
        .select_related("notification_type", "superseded_by__notification_type", "order", "return_request")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("id").prefetch_related(attempts, receipts))
        )
    )
    events = (
        Event.objects.filter(
            Q(customer_id=customer_id)
            | Q(pk__in=Notification.objects.filter(customer_id=customer_id).values("event_id"))
        )
        .select_related("order")
        .defer("payload")
    )
    entries = [_event_entry(e) for e in events]
    delivery_ids = []
    for n in notifications:
        deliveries = list(n.deliveries.all())
        entries.append(_notification_entry(n, deliveries, now))
        for d in deliveries:
            delivery_ids.append(d.pk)
            entries.append(_delivery_entry(d, n))
            entries.extend(_attempt_entry(a, d, n) for a in d.attempts.all())
            entries.extend(_receipt_entry(r, d) for r in d.provider_events.all())
    entries.extend(_audit_entry(row) for row in customer_audit_rows(customer_id=customer_id, delivery_ids=delivery_ids))
    entries.sort(key=lambda e: (e["at"], _KIND_ORDER[e["kind"]], e["pk"]))
    return entries
