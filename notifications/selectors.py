"""Reads for the pipeline (an event's recipients, the rules that match it, due work), for support
agents (a customer's timeline, why a notification was not sent) and for partners (their
notifications)."""
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from core.models import AuditLog
from preferences.models import Channel, Customer, CustomerIdentity

from notifications.models import Delivery, DeliveryAttempt, Event, Notification, ProviderEvent, Rule


def event_recipients(*, event: Event) -> list[Customer]:
    """The order's customer for order, shipment and return events; for stock events the
    customers with open backordered lines of that SKU and the back-in-stock subscribers."""
    if event.subject_type == "stock":
        from inventory.models import BackInStockSubscription, Product
        from orders.models import Order, OrderLine

        product = Product.objects.get(pk=event.subject_id)
        waiting = OrderLine.objects.filter(
            backorder_state=OrderLine.Backorder.BACKORDERED, order__sales_channel__brand_id=product.brand_id,
            sku=product.sku,
        ).exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.DELIVERED]).values("order__customer_id")
        subscribers = BackInStockSubscription.objects.filter(product=product).values("customer_id")
        return list(Customer.objects.filter(pk__in=waiting) | Customer.objects.filter(pk__in=subscribers))
    if event.customer_id:
        return [event.customer]
    return []


def _matches(rule: Rule, *, event: Event, customer: Customer) -> bool:
    cond = rule.conditions or {}
    payload = event.payload
    if cond.get("brands") and payload.get("brand", {}).get("slug") not in cond["brands"]:
        return False
    order = payload.get("order") or {}
    if cond.get("sales_channels"):
        from orders.models import Order

        slug = Order.objects.filter(pk=order.get("id")).values_list("sales_channel__slug", flat=True).first()
        if slug not in cond["sales_channels"]:
            return False
    if cond.get("countries") and (order.get("country") or customer.country) not in cond["countries"]:
        return False
    try:
        total = Decimal(order.get("total") or "0")
        if cond.get("min_order_value") and total < Decimal(str(cond["min_order_value"])):
            return False
        if cond.get("max_order_value") and total > Decimal(str(cond["max_order_value"])):
            return False
    except InvalidOperation:
        return False
    if cond.get("customer_tags") and not set(cond["customer_tags"]) & set(customer.tags or []):
        return False
    return True


def rules_for(*, event: Event, customer: Customer, rules: list[Rule] | None = None) -> list[Rule]:
    if rules is None:
        rules = list(Rule.objects.filter(event_type=event.type, is_active=True).select_related("notification_type"))
    return [r for r in rules if _matches(r, event=event, customer=customer)]


def events_to_requeue(*, older_than) -> QuerySet[Event]:
    return Event.objects.filter(processed_at__isnull=True, created_at__lt=older_than).order_by("created_at")


def deliveries_due(*, now=None) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.PENDING, send_after__lte=now or timezone.now()).order_by("send_after")


def deliveries_reconcile_due(*, now=None) -> QuerySet[Delivery]:
    """Deliveries whose send's outcome is unknown and whose next look-up is due."""
    return Delivery.objects.filter(status=Delivery.Status.RECONCILING,
                                   send_after__lte=now or timezone.now()).order_by("send_after")


def sweep_pick(rows: QuerySet, *, now, grace, last_queued, began, limit: int) -> list:
    """The rows a sweeper should queue (again). ``last_queued(row)`` is when a message for the row
    was last put on the queue (None: it has none), ``began(row)`` when the row became due.

    A message may be lost (a killed worker), so the sweeper must re-queue; but a row merely
    stuck behind a backlog still has its message in the queue, and re-queuing it on every sweep
    floods the broker with copies that make the backlog grow. So a row is queued again only
    after waiting, since it was last queued, at least ``grace`` and at least as long as it had
    been due by then: the copies per row grow with the log of its wait, not with every sweep."""
    from django.db.models import F, Q

    rows = rows.filter(Q(queued_at__isnull=True) | Q(queued_at__lte=now - grace)).order_by(
        F("queued_at").asc(nulls_first=True), "pk")
    picked = []
    for row in rows[:limit]:
        last = last_queued(row)
        if last is None or now - last >= max(grace, last - began(row)):
            picked.append(row)
    return picked


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(pct / 100 * (len(values) - 1))))
    return round(values[index], 1)


def pipeline_report(*, brand_ids=None, at_provider: bool = True) -> dict:
    """Counts, duplicates, lost and commit-to-acceptance latency for the given brands' traffic
    (all traffic when ``brand_ids`` is None).

    Counted at the provider (``provider_ledger``): ``duplicates``, the (notification, channel)
    pairs a provider accepted more than once (an agent's deliberate resend aside); ``lost``,
    deliveries Waypost calls sent that no provider accepted, plus what the pipeline itself lost:
    events never processed and notifications that ended neither sent nor deliberately not sent
    (superseded, no usable channel) nor held for the customer's digest (``held_for_digest``).
    ``internal_duplicates`` / ``internal_lost`` are the same questions asked of Waypost's own
    tables (accepted attempts), which cannot see a message a provider took twice."""
    from collections import Counter

    from django.db.models import Count, Min

    from notifications.models import DeliveryAttempt, Notification
    from notifications.provider_ledger import accepted_copies

    events = Event.objects.all()
    notifications = Notification.objects.all()
    deliveries = Delivery.objects.all()
    accepted = DeliveryAttempt.objects.filter(outcome=DeliveryAttempt.Outcome.ACCEPTED)
    if brand_ids is not None:
        events = events.filter(brand_id__in=brand_ids)
        notifications = notifications.filter(brand_id__in=brand_ids)
        deliveries = deliveries.filter(notification__brand_id__in=brand_ids)
        accepted = accepted.filter(delivery__notification__brand_id__in=brand_ids)
    by_status = lambda qs: dict(qs.values_list("status").annotate(n=Count("id")).order_by("status"))  # noqa: E731
    internal_duplicates = (accepted.filter(delivery__resend_of__isnull=True)
                           .values("delivery__notification_id", "delivery__channel")
                           .annotate(n=Count("id")).filter(n__gt=1).count())
    ok = {Notification.Status.DELIVERED, Notification.Status.SENT, Notification.Status.SUPERSEDED,
          Notification.Status.NOT_SENT}
    # Held for a later digest (the customer's rhythm or a frequency cap) is deliberate, not lost:
    # the digest builder sends it at the customer's hour.
    waiting_for_digest = notifications.filter(status=Notification.Status.PLANNED,
                                              hold__in=[Notification.Hold.DIGEST, Notification.Hold.CAP],
                                              deliveries__isnull=True)
    held = waiting_for_digest.count()
    pipeline_lost = (events.filter(processed_at__isnull=True).count()
                     + notifications.exclude(status__in=ok).exclude(pk__in=waiting_for_digest.values("pk")).count())
    firsts = (accepted.values("delivery__notification_id")
              .annotate(first=Min("finished_at"))
              .values_list("first", "delivery__notification__event__created_at"))
    latencies = [(first - created).total_seconds() * 1000 for first, created in firsts if first and created]
    report = {
        "events": events.count(),
        "notifications": notifications.count(),
        "notifications_by_status": by_status(notifications),
        "deliveries": by_status(deliveries),
        "attempts": accepted.count(),
        "held_for_digest": held,
        "internal_duplicates": internal_duplicates,
        "internal_lost": pipeline_lost,
        "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95),
                       "p99": _percentile(latencies, 99), "count": len(latencies)},
    }
    if not at_provider:
        return report
    tried = list(deliveries.filter(attempt_count__gt=0).only("pk", "notification_id", "channel", "status", "to",
                                                                 "resend_of_id"))
    ledger = accepted_copies(tried)
    copies = ledger.copies
    per_intent = Counter()
    for d in tried:
        if d.resend_of_id is None:
            per_intent[(d.notification_id, d.channel)] += copies[d.pk]
    never_arrived = sum(1 for d in tried if d.status in (Delivery.Status.SENT, Delivery.Status.DELIVERED)
                        and not copies[d.pk] and d.pk not in ledger.unmeasured_ids)
    report.update({
        "accepted_at_provider": sum(copies.values()),
        "duplicates": sum(1 for n in per_intent.values() if n > 1),
        "extra_copies": sum(n - 1 for n in per_intent.values() if n > 1),
        "lost": pipeline_lost + never_arrived,
        "sent_not_at_provider": never_arrived,
        "unmeasured_providers": ledger.unmeasured,
    })
    return report


def pipeline_busy(*, brand_ids=None) -> bool:
    """True while any event is unprocessed or any delivery is pending, in flight or reconciling."""
    events = Event.objects.filter(processed_at__isnull=True)
    active = Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING,
                                                Delivery.Status.RECONCILING])
    if brand_ids is not None:
        events = events.filter(brand_id__in=brand_ids)
        active = active.filter(notification__brand_id__in=brand_ids)
    return events.exists() or active.exists()


# --- Support and partner reads ------------------------------------------------------------------

SKIP_REASONS = {
    "no_consent": "no consent (the customer opted out of this channel)",
    "no_contact": "no contact (no address on file for this channel)",
    "opted_out_type": "opted out of this notification type on this channel",
    "push_inactive": "the app has not been seen on the customer's device lately",
    "cap": "frequency cap reached (too many messages on this channel lately)",
}
_TONES = {
    "delivered": "ok", "sent": "ok", "accepted": "ok", "processed": "ok",
    "superseded": "warn", "not_sent": "warn", "suppressed": "warn", "failed": "warn", "transient": "warn",
    "unknown": "warn", "reconciling": "warn",
    "dead": "error", "bounced": "error", "permanent": "error", "rejected": "error", "complained": "error",
    "expired": "error", "opened": "ok", "clicked": "ok",
}
_KIND_ORDER = {"audit": 0, "event": 1, "notification": 2, "delivery": 3, "attempt": 4, "receipt": 5}
_TIME = "%Y-%m-%d %H:%M:%S %Z"


def skipped_text(skipped: dict) -> list[str]:
    """``{"sms": "no_consent"}`` as sentences an agent can read out: ``SMS: no consent (...)``."""
    labels = dict(Channel.choices)
    return [f"{labels.get(channel, channel)}: {SKIP_REASONS.get(code, code.replace('_', ' '))}"
            for channel, code in (skipped or {}).items()]


def notification_why(notification: Notification, deliveries: list[Delivery], *, now=None) -> str:
    """Why ``notification`` was not (or not yet) sent, in words; empty when it went out."""
    status = notification.status
    if status == Notification.Status.SUPERSEDED:
        newer = notification.superseded_by
        if newer is not None:
            return (f"Superseded by a newer update: {newer.notification_type.name} "
                    f"(notification #{newer.pk}, {newer.get_status_display().lower()})")
        return notification.reason or "Superseded by a newer update"
    if status == Notification.Status.NOT_SENT:
        reasons = "; ".join(skipped_text(notification.skipped))
        return f"Not sent: {reasons or notification.reason or 'no usable channel'}"
    if status == Notification.Status.DEAD:
        failed = [d for d in deliveries if d.error]
        if not failed:
            return "Failed on every channel"
        last = max(failed, key=lambda d: (d.updated_at, d.pk))
        return f"Failed on every channel; last error ({last.get_channel_display()}): {last.error}"
    if status == Notification.Status.PLANNED and notification.send_after > (now or timezone.now()):
        if notification.hold:
            return f"Held ({notification.get_hold_display().lower()}) until {notification.send_after:{_TIME}}"
        return f"Waiting until {notification.send_after:{_TIME}} in case a newer update comes (coalescing)"
    return ""


def _entry(*, at, kind: str, model: str, pk: int, title: str, status: str = "", status_label: str = "",
           why: str = "", details=()) -> dict:
    return {"at": at, "kind": kind, "model": model, "pk": pk, "title": title, "status": status,
            "status_label": status_label or status.replace("_", " "), "tone": _TONES.get(status, "info"),
            "why": why, "details": [d for d in details if d]}


def _event_entry(event: Event) -> dict:
    if event.subject_type == "order" and event.order_id:
        subject = f"order {event.order.external_id}"
    else:
        subject = f"{event.subject_type.replace('_', ' ')} #{event.subject_id}"
        if event.order_id:
            subject += f" of order {event.order.external_id}"
    return _entry(
        at=event.created_at, kind="event", model="notifications.event", pk=event.pk,
        title=f"Event {event.type}", status="processed" if event.processed_at else "pending",
        details=[subject, "" if event.processed_at else "Not processed yet",
                 f"Last processing error: {event.last_error}" if event.last_error else ""],
    )


def _notification_entry(n: Notification, deliveries: list[Delivery], now) -> dict:
    about = [f"Order {n.order.external_id}" if n.order_id else "",
             f"Return {n.return_request.code}" if n.return_request_id else ""]
    plan = f"Channels planned: {', '.join(n.channels)} ({n.get_mode_display().lower()})" if n.channels else ""
    skipped = [] if n.status == Notification.Status.NOT_SENT else [f"Skipped {s}" for s in skipped_text(n.skipped)]
    return _entry(
        at=n.created_at, kind="notification", model="notifications.notification", pk=n.pk,
        title=f"Notification: {n.notification_type.name}", status=n.status, status_label=n.get_status_display(),
        why=notification_why(n, deliveries, now=now),
        details=[", ".join(filter(None, about)), plan, *skipped, f"Language: {n.language}",
                 f"Carried by daily digest #{n.digest_id}" if n.digest_id else ""],
    )


def _delivery_entry(d: Delivery, n: Notification) -> dict:
    fallback = n.mode == Rule.Mode.FALLBACK and n.channels and d.channel != n.channels[0]
    return _entry(
        at=d.created_at, kind="delivery", model="notifications.delivery", pk=d.pk,
        title=f"Delivery by {d.get_channel_display()}" + (f" to {d.to}" if d.to else ""),
        status=d.status, status_label=d.get_status_display(), why=_delivery_why(d),
        details=[f"Notification #{n.pk} ({n.notification_type.name})",
                 "Fallback: an earlier channel of the plan failed" if fallback else "",
                 f"Sent {d.sent_at:{_TIME}}" if d.sent_at else "",
                 f"Delivered {d.delivered_at:{_TIME}}" if d.delivered_at else "",
                 f"Due {d.send_after:{_TIME}}" if d.status == Delivery.Status.PENDING else "",
                 f"Requeued by an agent after {d.retry_floor} attempts" if d.retry_floor else ""],
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
        at=r.occurred_at or r.received_at, kind="receipt", model="notifications.providerevent", pk=r.pk,
        title=f"{r.provider} reported {r.kind} for the {d.get_channel_display()} delivery",
        status=r.kind, why=r.detail if bad else "",
        details=["" if bad else r.detail, "" if r.applied else "Changed nothing (already further along, or a repeat)"],
    )


def _attempt_entry(a: DeliveryAttempt, d: Delivery, n: Notification) -> dict:
    error = f"{a.error_code}: {a.error_text}".strip(": ")
    return _entry(
        at=a.started_at, kind="attempt", model="notifications.deliveryattempt", pk=a.pk,
        title=f"Attempt {a.number} by {d.get_channel_display()} via {a.provider}",
        status=a.outcome, status_label=a.get_outcome_display(), why=error,
        details=[f"Delivery #{d.pk} of notification #{n.pk} ({n.notification_type.name})",
                 f"Provider message id {a.provider_message_id}" if a.provider_message_id else "",
                 f"{a.latency_ms} ms" if a.latency_ms is not None else "",
                 f"Outcome settled: {a.get_resolution_display().lower()}" if a.resolution else ""],
    )


def _audit_entry(row: AuditLog) -> dict:
    label = row.content_type.model_class()._meta.verbose_name.capitalize()
    change = f"{row.from_state or '-'} -> {row.to_state}" if row.to_state else row.action.replace("_", " ")
    return _entry(
        at=row.created_at, kind="audit", model="core.auditlog", pk=row.pk,
        title=f"{label} #{row.object_id}: {change}", status_label=row.action.replace("_", " "),
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
        .prefetch_related(Prefetch("deliveries",
                                   queryset=Delivery.objects.order_by("id").prefetch_related(attempts, receipts)))
    )
    events = (
        Event.objects.filter(Q(customer_id=customer_id)
                             | Q(pk__in=Notification.objects.filter(customer_id=customer_id).values("event_id")))
        .select_related("order").defer("payload")
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


def notifications_for_partner(*, channels) -> QuerySet[Notification]:
    """The notifications a partner may read: those about orders in its sales channels, and
    order-less ones (back in stock) of its channels' brands for customers it knows."""
    from orders.models import Order

    channel_ids = [c.pk for c in channels]
    brand_ids = {c.brand_id for c in channels}
    known = (Q(customer_id__in=CustomerIdentity.objects.filter(sales_channel_id__in=channel_ids).values("customer_id"))
             | Q(customer_id__in=Order.objects.filter(sales_channel_id__in=channel_ids).values("customer_id")))
    return (
        Notification.objects.filter(Q(order__sales_channel_id__in=channel_ids)
                                    | (Q(order__isnull=True, brand_id__in=brand_ids) & known))
        .select_related("notification_type")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("id")))
    )
