"""Reads for the pipeline: an event's recipients, the rules that match it, due work, whether it is
busy; why a notification was not sent (in words, for agents and customers); and a partner's
notifications."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from catalogue.models import Rule
from core.channels import Channel
from customers.models import Customer, CustomerIdentity
from notifications.models import Delivery, Event, Notification


def event_recipients(*, event: Event) -> list[Customer]:
    """The order's customer for order, shipment and return events; the customer themselves for
    customer events (a fresh preference link they asked for); for stock events the customers with
    open backordered lines of that SKU and the back-in-stock subscribers."""
    if event.subject_type == "stock":
        from inventory.models import BackInStockSubscription, Product
        from orders.models import Order, OrderLine

        product = Product.objects.get(pk=event.subject_id)
        waiting = (
            OrderLine.objects.filter(
                backorder_state=OrderLine.Backorder.BACKORDERED,
                order__sales_channel__brand_id=product.brand_id,
                sku=product.sku,
            )
            .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.DELIVERED])
            .values("order__customer_id")
        )
        subscribers = BackInStockSubscription.objects.filter(product=product).values("customer_id")
        return list(Customer.objects.filter(pk__in=waiting) | Customer.objects.filter(pk__in=subscribers))
    if event.customer_id:  # the order's customer, or the customer a customer event is about
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
    return not (cond.get("customer_tags") and not set(cond["customer_tags"]) & set(customer.tags or []))


def rules_for(*, event: Event, customer: Customer, rules: list[Rule] | None = None) -> list[Rule]:
    if rules is None:
        rules = list(Rule.objects.filter(event_type=event.type, is_active=True).select_related("notification_type"))
    return [r for r in rules if _matches(r, event=event, customer=customer)]


def events_to_requeue(*, older_than) -> QuerySet[Event]:
    return Event.objects.filter(processed_at__isnull=True, created_at__lt=older_than).order_by("created_at")


def deliveries_due(*, now=None) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.PENDING, send_after__lte=now or timezone.now()).order_by(
        "send_after"
    )


def deliveries_reconcile_due(*, now=None) -> QuerySet[Delivery]:
    """Deliveries whose send's outcome is unknown and whose next look-up is due."""
    return Delivery.objects.filter(status=Delivery.Status.RECONCILING, send_after__lte=now or timezone.now()).order_by(
        "send_after"
    )


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
        F("queued_at").asc(nulls_first=True), "pk"
    )
    picked = []
    for row in rows[:limit]:
        last = last_queued(row)
        if last is None or now - last >= max(grace, last - began(row)):
            picked.append(row)
    return picked


def pipeline_busy(*, brand_ids=None) -> bool:
    """True while any event is unprocessed or any delivery is pending, in flight or reconciling."""
    events = Event.objects.filter(processed_at__isnull=True)
    active = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.RECONCILING]
    )
    if brand_ids is not None:
        events = events.filter(brand_id__in=brand_ids)
        active = active.filter(notification__brand_id__in=brand_ids)
    return events.exists() or active.exists()


# --- Why not sent, and partners' reads --------------------------------------------------------

_TIME = "%Y-%m-%d %H:%M:%S %Z"
SKIP_REASONS = {
    "no_consent": "no consent (the customer opted out of this channel)",
    "no_contact": "no contact (no address on file for this channel)",
    "opted_out_type": "opted out of this notification type on this channel",
    "push_inactive": "the app has not been seen on the customer's device lately",
    "cap": "frequency cap reached (too many messages on this channel lately)",
}


def skipped_text(skipped: dict) -> list[str]:
    """``{"sms": "no_consent"}`` as sentences an agent can read out: ``SMS: no consent (...)``."""
    labels = dict(Channel.choices)
    return [
        f"{labels.get(channel, channel)}: {SKIP_REASONS.get(code, code.replace('_', ' '))}"
        for channel, code in (skipped or {}).items()
    ]


def notification_why(notification: Notification, deliveries: list[Delivery], *, now=None) -> str:
    """Why ``notification`` was not (or not yet) sent, in words; empty when it went out."""
    status = notification.status
    if status == Notification.Status.SUPERSEDED:
        newer = notification.superseded_by
        if newer is not None:
            return (
                f"Superseded by a newer update: {newer.notification_type.name} "
                f"(notification #{newer.pk}, {newer.get_status_display().lower()})"
            )
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


def notifications_for_partner(*, channels) -> QuerySet[Notification]:
    """The notifications a partner may read: those about orders in its sales channels, and
    order-less ones (back in stock) of its channels' brands for customers it knows."""
    from orders.models import Order

    channel_ids = [c.pk for c in channels]
    brand_ids = {c.brand_id for c in channels}
    known = Q(
        customer_id__in=CustomerIdentity.objects.filter(sales_channel_id__in=channel_ids).values("customer_id")
    ) | Q(customer_id__in=Order.objects.filter(sales_channel_id__in=channel_ids).values("customer_id"))
    return (
        Notification.objects.filter(
            Q(order__sales_channel_id__in=channel_ids) | (Q(order__isnull=True, brand_id__in=brand_ids) & known)
        )
        .select_related("notification_type")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("id")))
    )


def channels_at_cap(*, customer: Customer, channels: list[str], now) -> set[str]:
    """Channels on which the customer already had ``FREQUENCY_CAPS[channel]`` non-critical
    messages within the cap window (``FREQUENCY_CAP_WINDOW_HOURS``)."""
    caps = {c: settings.FREQUENCY_CAPS.get(c) for c in channels if settings.FREQUENCY_CAPS.get(c)}
    if not caps:
        return set()
    since = now - dt.timedelta(hours=settings.FREQUENCY_CAP_WINDOW_HOURS)
    counted = (
        Delivery.objects.filter(
            notification__customer=customer,
            channel__in=list(caps),
            created_at__gte=since,
            notification__notification_type__critical=False,
            resend_of__isnull=True,
        )
        .exclude(status__in=[Delivery.Status.SUPERSEDED, Delivery.Status.SUPPRESSED])
        .exclude(notification__notification_type__category="digest")
    )
    sent = {}
    for channel in counted.values_list("channel", flat=True):
        sent[channel] = sent.get(channel, 0) + 1
    return {c for c, cap in caps.items() if sent.get(c, 0) >= cap}
