"""The KPI dashboard's numbers: each KPI is one aggregate query (no rows are loaded into Python),
filtered by brand, channel, provider, notification type and period, and shown beside its target.

The period applies to the row the KPI is about: a delivery's ``created_at``, an event's
``created_at`` (times from an event), an attempt's ``started_at`` (failure reasons), a
notification's ``created_at`` (opt-out rate). The queries use the indexes ``delivery_kpi_idx``
(created_at, channel, provider, status), ``attempt_kpi_idx`` (started_at, outcome) and the
foreign-key indexes for the joins to notifications and events.

Customer traffic only: the template studio's test sends (notification types of the ``staff``
category, sent to the editors' own addresses) are left out of every KPI.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from notifications.models import Delivery, DeliveryAttempt, Notification
from preferences.models import ChannelConsent, ConsentLog

STAFF = "staff"  # NotificationType.Category.STAFF: test sends, not customer traffic
ACCEPTED = (Delivery.Status.SENT, Delivery.Status.DELIVERED)  # a provider took it and never reported it lost
ATTEMPTED = (
    Delivery.Status.SENT,
    Delivery.Status.DELIVERED,
    Delivery.Status.FAILED,
    Delivery.Status.BOUNCED,
    Delivery.Status.DEAD,
)  # reached a provider and finished
FAILURE_STATUSES = (Delivery.Status.FAILED, Delivery.Status.BOUNCED, Delivery.Status.DEAD, Delivery.Status.SUPPRESSED)
PERIODS = {
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
    "90d": dt.timedelta(days=90),
    "all": None,
}

TARGETS = {  # key: (comparison, target value, how it is shown)
    "delivery_rate": (">=", 98.5, "≥ 98.5%"),
    "time_to_first_update": ("<", 600.0, "< 10 min"),
    "time_to_stock_alert": ("<", 120.0, "< 2 min"),
    "sms_delivery_time": ("<", 30.0, "< 30 s"),
    "email_open_rate": (">=", 42.3, "42.3% (reference)"),
    "opt_out_rate": ("<=", 12.0, "≤ 12% (ceiling)"),
    "cost_per_sms": ("<=", 0.0075, "$0.0075 (reference)"),
}


@dataclass(frozen=True)
class KpiFilters:
    brand_id: int | None = None
    channel: str = ""
    provider: str = ""
    type_key: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def for_period(cls, period: str = "7d", *, now=None, **kwargs) -> "KpiFilters":
        span = PERIODS.get(period, PERIODS["7d"])
        now = now or timezone.now()
        return cls(start=now - span if span else None, end=None, **kwargs)


def _period(prefix: str, f: KpiFilters) -> Q:
    q = Q()
    if f.start:
        q &= Q(**{f"{prefix}__gte": f.start})
    if f.end:
        q &= Q(**{f"{prefix}__lt": f.end})
    return q


def deliveries(f: KpiFilters, *, period: bool = True):
    """Deliveries matching the filters (the period on ``created_at``)."""
    qs = Delivery.objects.filter(_period("created_at", f) if period else Q()).exclude(
        notification__notification_type__category=STAFF
    )
    if f.brand_id:
        qs = qs.filter(notification__brand_id=f.brand_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.provider:
        qs = qs.filter(provider=f.provider)
    if f.type_key:
        qs = qs.filter(notification__notification_type__key=f.type_key)
    return qs


def _pct(part, whole) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _seconds(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds(), 2)
    return round(float(value) / 1_000_000, 2)  # a backend that averages durations as microseconds


# --- Delivery rate ------------------------------------------------------------------------------


def delivery_rates(f: KpiFilters) -> list[dict]:
    """Delivery rate per channel and provider = deliveries accepted by the provider and never
    reported failed (status ``sent`` or ``delivered``) / deliveries that reached a provider and
    finished (``sent``, ``delivered``, ``failed``, ``bounced``, ``dead``), in percent. Pending,
    in-flight, suppressed and superseded deliveries never reached a provider and do not count.
    A failed delivery counts against its own channel even when a fallback channel then worked.
    Target: 98.5%."""
    rows = (
        deliveries(f)
        .filter(status__in=ATTEMPTED)
        .values("channel", "provider")
        .annotate(attempted=Count("id"), accepted=Count("id", filter=Q(status__in=ACCEPTED)))
        .order_by("channel", "provider")
    )
    return [{**r, "rate": _pct(r["accepted"], r["attempted"])} for r in rows]


def delivery_rate(f: KpiFilters) -> dict:
    """The delivery rate over every channel and provider (same formula as ``delivery_rates``)."""
    totals = (
        deliveries(f)
        .filter(status__in=ATTEMPTED)
        .aggregate(attempted=Count("id"), accepted=Count("id", filter=Q(status__in=ACCEPTED)))
    )
    return {**totals, "value": _pct(totals["accepted"], totals["attempted"]), "n": totals["attempted"]}


def daily_delivery_rate(f: KpiFilters) -> list[dict]:
    """Per day (of ``created_at``, in the site's time zone) and channel: the delivery rate, as above."""
    rows = (
        deliveries(f)
        .filter(status__in=ATTEMPTED)
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel")
        .annotate(attempted=Count("id"), accepted=Count("id", filter=Q(status__in=ACCEPTED)))
        .order_by("day", "channel")
    )
    return [{**r, "rate": _pct(r["accepted"], r["attempted"])} for r in rows]


# --- Times from an event to its first message -----------------------------------------------------


def _time_from_events(f: KpiFilters, *, event_prefix: str, stamp: str) -> dict:
    """Average over the events of type ``<event_prefix>*`` created in the period, that have at
    least one matching delivery with ``stamp`` set, of (earliest ``stamp`` of the deliveries of
    the notifications the event caused − the event's ``created_at``), in seconds."""
    per_event = (
        deliveries(f, period=False)
        .filter(
            _period("notification__event__created_at", f),
            **{f"{stamp}__isnull": False},
            notification__event__type__startswith=event_prefix,
        )
        .values("notification__event_id")
        .annotate(
            wait=ExpressionWrapper(Min(stamp) - Min("notification__event__created_at"), output_field=DurationField())
        )
    )
    result = per_event.aggregate(avg=Avg("wait"), n=Count("notification__event_id"))
    return {"value": _seconds(result["avg"]), "n": result["n"]}


def time_to_first_update(f: KpiFilters) -> dict:
    """Average time to first update = for each shipment status-change event (``shipment.*``),
    the time from the event's ``created_at`` (the change was committed) to the earliest
    ``delivered_at`` of any delivery it caused, averaged over those events with a delivered
    message; seconds. Target: under 10 minutes."""
    return _time_from_events(f, event_prefix="shipment.", stamp="delivered_at")


def time_to_stock_alert(f: KpiFilters) -> dict:
    """Time to alert for stock events = for each ``stock.*`` event (back in stock, low, out), the
    time from the event's ``created_at`` to the earliest ``sent_at`` (a provider accepted it) of
    any delivery it caused, averaged over those events with a sent message; seconds. Target:
    under 2 minutes."""
    return _time_from_events(f, event_prefix="stock.", stamp="sent_at")


def sms_delivery_time(f: KpiFilters) -> dict:
    """SMS delivery time = average over SMS deliveries with status ``delivered`` and ``sent_at``
    set of (``receipt_at`` − ``sent_at``), where a delivery whose provider answered "delivered"
    at once (no receipt) uses ``delivered_at``; seconds. Target: under 30 seconds."""
    qs = deliveries(f).filter(channel="sms", status=Delivery.Status.DELIVERED, sent_at__isnull=False)
    result = qs.aggregate(
        avg=Avg(ExpressionWrapper(Coalesce("receipt_at", "delivered_at") - F("sent_at"), output_field=DurationField())),
        n=Count("id"),
    )
    return {"value": _seconds(result["avg"]), "n": result["n"]}


# --- Email opens, opt-outs, cost ------------------------------------------------------------------


def email_open_rate(f: KpiFilters) -> dict:
    """Email open rate = email deliveries with an open recorded (``opened_at`` set) / email
    deliveries accepted by the provider (status ``sent`` or ``delivered``), in percent.
    Reference: 42.3%."""
    qs = deliveries(f).filter(channel="email", status__in=ACCEPTED)
    result = qs.aggregate(n=Count("id"), opened=Count("id", filter=Q(opened_at__isnull=False)))
    return {"value": _pct(result["opened"], result["n"]), "n": result["n"], "opened": result["opened"]}


def opt_out_rate(f: KpiFilters) -> dict:
    """Opt-out rate = customers notified in the period (a notification created in it, for the
    brand and type filters) who opted out of a whole channel in the period — a ``ConsentLog`` row
    with ``new_state`` opted_out and no type created in it, or a ``ChannelConsent`` in state
    opted_out last changed in it (consent written without a log row) — / customers notified in
    the period, in percent. The channel filter narrows the opt-outs to that channel. Ceiling: 12%."""
    notified = Notification.objects.filter(_period("created_at", f), customer__isnull=False).exclude(
        notification_type__category=STAFF
    )
    if f.brand_id:
        notified = notified.filter(brand_id=f.brand_id)
    if f.type_key:
        notified = notified.filter(notification_type__key=f.type_key)
    customers = notified.values("customer_id")
    logs = ConsentLog.objects.filter(_period("created_at", f), new_state=ChannelConsent.State.OPTED_OUT, type_key="")
    consents = ChannelConsent.objects.filter(_period("updated_at", f), state=ChannelConsent.State.OPTED_OUT)
    if f.channel:
        logs, consents = logs.filter(channel=f.channel), consents.filter(channel=f.channel)
    from customers.models import Customer

    base = Customer.objects.filter(pk__in=customers)
    result = base.aggregate(
        n=Count("id"),
        opted_out=Count("id", filter=Q(pk__in=logs.values("customer_id")) | Q(pk__in=consents.values("customer_id"))),
    )
    return {"value": _pct(result["opted_out"], result["n"]), "n": result["n"], "opted_out": result["opted_out"]}


def cost_per_sms(f: KpiFilters) -> dict:
    """Cost per SMS = sum of ``cost`` / number of SMS deliveries a provider accepted (``sent_at``
    set) that carry a price; US dollars. Deliveries without a price (the sandbox) are left out
    and counted in ``unpriced``. Reference: $0.0075."""
    qs = deliveries(f).filter(channel="sms", sent_at__isnull=False)
    result = qs.aggregate(
        total=Sum("cost"),
        priced=Count("id", filter=Q(cost__isnull=False)),
        unpriced=Count("id", filter=Q(cost__isnull=True)),
    )
    value = (result["total"] / result["priced"]).quantize(Decimal("0.00001")) if result["priced"] else None
    return {
        "value": float(value) if value is not None else None,
        "n": result["priced"],
        "unpriced": result["unpriced"],
        "total": float(result["total"] or 0),
    }


# --- Volume and failures --------------------------------------------------------------------------


def volume_per_day(f: KpiFilters) -> list[dict]:
    """Deliveries created per day (site time zone) and channel, every status."""
    return list(
        deliveries(f)
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel")
        .annotate(deliveries=Count("id"))
        .order_by("day", "channel")
    )


FAILED_OUTCOMES = [
    DeliveryAttempt.Outcome.TRANSIENT,
    DeliveryAttempt.Outcome.PERMANENT,
    DeliveryAttempt.Outcome.UNKNOWN,
]


def failure_reasons(f: KpiFilters) -> list[dict]:
    """Failed provider attempts (not sent, refused, or whose outcome stayed unknown) per day of
    ``started_at`` and ``error_code`` (empty code: "unknown"); the channel, brand and type filters
    apply to the attempt's delivery, the provider filter to the attempt's provider."""
    qs = DeliveryAttempt.objects.filter(_period("started_at", f), outcome__in=FAILED_OUTCOMES).exclude(
        delivery__notification__notification_type__category=STAFF
    )
    if f.brand_id:
        qs = qs.filter(delivery__notification__brand_id=f.brand_id)
    if f.channel:
        qs = qs.filter(delivery__channel=f.channel)
    if f.provider:
        qs = qs.filter(provider=f.provider)
    if f.type_key:
        qs = qs.filter(delivery__notification__notification_type__key=f.type_key)
    rows = (
        qs.annotate(day=TruncDate("started_at"))
        .values("day", "error_code", "outcome")
        .annotate(attempts=Count("id"))
        .order_by("day", "error_code", "outcome")
    )
    return [{**r, "error_code": r["error_code"] or "unknown"} for r in rows]


def failed_deliveries(f: KpiFilters) -> list[dict]:
    """Deliveries that ended without reaching the customer on their channel, by final status
    (failed and fell back, bounced, dead on every channel, suppressed) and channel."""
    return list(
        deliveries(f)
        .filter(status__in=FAILURE_STATUSES)
        .values("status", "channel")
        .annotate(deliveries=Count("id"))
        .order_by("status", "channel")
    )


# --- All of it ------------------------------------------------------------------------------------

KPIS = [  # key, label, unit, function
    ("delivery_rate", "Delivery rate", "%", delivery_rate),
    ("time_to_first_update", "Time to first update (shipment change → delivered)", "s", time_to_first_update),
    ("time_to_stock_alert", "Time to alert for stock events", "s", time_to_stock_alert),
    ("sms_delivery_time", "SMS delivery time (send → receipt)", "s", sms_delivery_time),
    ("email_open_rate", "Email open rate", "%", email_open_rate),
    ("opt_out_rate", "Opt-out rate", "%", opt_out_rate),
    ("cost_per_sms", "Cost per SMS", "$", cost_per_sms),
]


def meets(key: str, value) -> bool | None:
    if value is None:
        return None
    op, target, _ = TARGETS[key]
    return {">=": value >= target, "<": value < target, "<=": value <= target}[op]


def display(value, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "$":
        return f"${value:.4f}"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def kpi_summary(f: KpiFilters) -> list[dict]:
    """Every headline KPI with its value, sample size, target and whether it meets it."""
    rows = []
    for key, label, unit, fn in KPIS:
        result = fn(f)
        rows.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "value": result["value"],
                "n": result["n"],
                "display": display(result["value"], unit),
                "target": TARGETS[key][2],
                "ok": meets(key, result["value"]),
                "formula": " ".join((fn.__doc__ or "").split()),
            }
        )
    return rows
