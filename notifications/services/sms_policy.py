"""Checks the dispatcher makes before an SMS or WhatsApp send: the customer's legal consent (an
SMS STOP wins over everything, critical messages included, even for deliveries planned before
it, except the one answer to the customer's own text: the confirmation a STOP requires), and the
per-customer cap on non-critical SMS (excess deferred, never dropped)."""

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db.models import Min, Q

from notifications.models import Delivery, Notification
from notifications.waits import scaled
from preferences.models import ChannelConsent

MESSAGING_CHANNELS = ("sms", "whatsapp")


def opted_out(deliveries: list[Delivery]) -> set[int]:
    """The ids of a batch's SMS/WhatsApp deliveries whose customer withdrew consent for the
    channel (answers to the customer's own texts left out: they always go)."""
    held = [
        d
        for d in deliveries
        if d.channel in MESSAGING_CHANNELS
        and d.notification.customer_id
        and not (d.notification.content or {}).get("in_reply_to")
    ]
    if not held:
        return set()
    withdrawn = set(
        ChannelConsent.objects.filter(
            customer_id__in={d.notification.customer_id for d in held},
            channel__in=MESSAGING_CHANNELS,
            state=ChannelConsent.State.OPTED_OUT,
        ).values_list("customer_id", "channel")
    )
    return {d.pk for d in held if (d.notification.customer_id, d.channel) in withdrawn}


def _cap_window() -> dt.timedelta:
    return scaled(3600)


def recent_sms_counts(deliveries: list[Delivery], *, now: dt.datetime) -> dict[int, int]:
    """SMS sent (or in flight) within the cap window, per customer of a batch's non-critical SMS
    deliveries: one query, so the exact check runs only for a customer near the cap."""
    cap = settings.SMS_CUSTOMER_CAP_PER_HOUR
    customers = {
        d.notification.customer_id
        for d in deliveries
        if d.channel == "sms" and not d.notification.notification_type.critical
    }
    if cap <= 0 or not customers or not (window := _cap_window()):
        return {}
    # Found from the customers' own SMS rows and counted here: a condition on ``sent_at`` lets
    # PostgreSQL start from every SMS of the window instead (a bitmap over the whole hour's sends,
    # 100 ms a batch in the bench's spike, growing with the traffic).
    since, counts = now - window, Counter()
    for customer_id, sent_at, status in (
        Delivery.objects.filter(notification__customer_id__in=customers, channel="sms")
        .values_list("notification__customer_id", "sent_at", "status")
        .order_by()
    ):
        if status == Delivery.Status.SENDING or (sent_at is not None and sent_at >= since):
            counts[customer_id] += 1
    return dict(counts)


def capped(delivery: Delivery, notification: Notification, counts: dict[int, int]) -> bool:
    """Whether this SMS may be over the customer's cap (``counts`` from ``recent_sms_counts``,
    kept up to date as the batch claims)."""
    cap = settings.SMS_CUSTOMER_CAP_PER_HOUR
    return (
        delivery.channel == "sms"
        and cap > 0
        and not notification.notification_type.critical
        and counts.get(notification.customer_id, 0) >= cap
    )


def cap_defer_until(*, delivery: Delivery, notification: Notification, now: dt.datetime) -> dt.datetime | None:
    """When this non-critical SMS would exceed ``SMS_CUSTOMER_CAP_PER_HOUR`` for the customer,
    the time it may go instead (when the oldest SMS of the window leaves it); else None. The hour
    follows the pipeline's time scale, like every other wait."""
    cap = settings.SMS_CUSTOMER_CAP_PER_HOUR
    if delivery.channel != "sms" or cap <= 0 or notification.notification_type.critical:
        return None
    window = _cap_window()
    if not window:
        return None
    recent = (
        Delivery.objects.filter(notification__customer_id=notification.customer_id, channel="sms")
        .exclude(pk=delivery.pk)
        .filter(Q(sent_at__gte=now - window) | Q(status=Delivery.Status.SENDING))
    )
    if recent.count() < cap:
        return None
    oldest = recent.aggregate(m=Min("sent_at"))["m"] or now
    return max(oldest + window, now + dt.timedelta(seconds=1))
