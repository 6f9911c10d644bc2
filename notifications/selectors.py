"""Reads for the pipeline: an event's recipients, the rules that match it, due work."""
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils import timezone

from preferences.models import Customer

from .models import Delivery, Event, Rule


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


def deliveries_stuck_sending(*, older_than) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.SENDING, updated_at__lt=older_than)


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(pct / 100 * (len(values) - 1))))
    return round(values[index], 1)


def pipeline_report(*, brand_ids=None) -> dict:
    """Counts, duplicates, lost and commit-to-acceptance latency for the given brands' traffic
    (all traffic when ``brand_ids`` is None). ``duplicates``: (notification, channel) pairs a
    provider accepted more than once. ``lost``: events never processed plus notifications that
    ended neither delivered/sent nor deliberately not sent (superseded, no usable channel)."""
    from django.db.models import Count, Min

    from .models import DeliveryAttempt, Notification, SandboxMessage

    events = Event.objects.all()
    notifications = Notification.objects.all()
    deliveries = Delivery.objects.all()
    accepted = DeliveryAttempt.objects.filter(outcome=DeliveryAttempt.Outcome.ACCEPTED)
    sandbox = SandboxMessage.objects.filter(delivery__isnull=False)
    if brand_ids is not None:
        events = events.filter(brand_id__in=brand_ids)
        notifications = notifications.filter(brand_id__in=brand_ids)
        deliveries = deliveries.filter(notification__brand_id__in=brand_ids)
        accepted = accepted.filter(delivery__notification__brand_id__in=brand_ids)
        sandbox = sandbox.filter(delivery__notification__brand_id__in=brand_ids)
    by_status = lambda qs: dict(qs.values_list("status").annotate(n=Count("id")).order_by("status"))  # noqa: E731
    dup_accepted = (accepted.values("delivery__notification_id", "delivery__channel")
                    .annotate(n=Count("id")).filter(n__gt=1).count())
    dup_sandbox = (sandbox.values("delivery__notification_id", "channel")
                   .annotate(n=Count("id")).filter(n__gt=1).count())
    ok = {Notification.Status.DELIVERED, Notification.Status.SENT, Notification.Status.SUPERSEDED,
          Notification.Status.NOT_SENT}
    lost = events.filter(processed_at__isnull=True).count() + notifications.exclude(status__in=ok).count()
    firsts = (accepted.values("delivery__notification_id")
              .annotate(first=Min("finished_at"))
              .values_list("first", "delivery__notification__event__created_at"))
    latencies = [(first - created).total_seconds() * 1000 for first, created in firsts if first and created]
    return {
        "events": events.count(),
        "notifications": notifications.count(),
        "notifications_by_status": by_status(notifications),
        "deliveries": by_status(deliveries),
        "attempts": accepted.count(),
        "duplicates": max(dup_accepted, dup_sandbox),
        "lost": lost,
        "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95),
                       "p99": _percentile(latencies, 99), "count": len(latencies)},
    }


def pipeline_busy(*, brand_ids=None) -> bool:
    """True while any event is unprocessed or any delivery is pending or in flight."""
    events = Event.objects.filter(processed_at__isnull=True)
    active = Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
    if brand_ids is not None:
        events = events.filter(brand_id__in=brand_ids)
        active = active.filter(notification__brand_id__in=brand_ids)
    return events.exists() or active.exists()
