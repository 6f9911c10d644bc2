"""An independent check of ``kpis.py``: the same KPIs computed from plain SQL rows with Python
arithmetic (no ORM aggregates, no shared helpers), over all time and all brands, compared with
what the dashboard shows. Used by ``manage.py kpi_check`` and the tests. Like the dashboard, it
counts customer traffic only: the studio's test sends (types of the ``staff`` category) are not."""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from insights import kpis

STAFF_NOTIFICATIONS = (
    "SELECT n.id FROM notifications_notification n JOIN notifications_notificationtype t "
    "ON t.id = n.notification_type_id WHERE t.category = 'staff'"
)
CUSTOMER_TRAFFIC = f"notification_id NOT IN ({STAFF_NOTIFICATIONS})"  # a condition on notifications_delivery


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _when(value):
    if value is None or isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _avg_seconds(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _first_after_event(prefix: str, column: str) -> tuple[float | None, int]:
    rows = _rows(
        f"""SELECT e.id, e.created_at, d.{column} FROM notifications_event e
                     JOIN notifications_notification n ON n.event_id = e.id
                     JOIN notifications_delivery d ON d.notification_id = n.id
                     WHERE e.type LIKE %s AND d.{column} IS NOT NULL""",
        [prefix + "%"],
    )
    first: dict[int, tuple] = {}
    for event_id, created, stamp in rows:
        created, stamp = _when(created), _when(stamp)
        if event_id not in first or stamp < first[event_id][1]:
            first[event_id] = (created, stamp)
    waits = [(stamp - created).total_seconds() for created, stamp in first.values()]
    return _avg_seconds(waits), len(waits)


def independent_kpis() -> dict:
    statuses = Counter(
        dict(_rows(f"SELECT status, COUNT(*) FROM notifications_delivery WHERE {CUSTOMER_TRAFFIC} GROUP BY status"))
    )
    attempted = sum(statuses[s] for s in ("sent", "delivered", "failed", "bounced", "dead"))
    accepted = statuses["sent"] + statuses["delivered"]
    per_route = defaultdict(lambda: [0, 0])
    for channel, provider, status, n in _rows(
        f"SELECT channel, provider, status, COUNT(*) FROM notifications_delivery WHERE {CUSTOMER_TRAFFIC} "
        "GROUP BY channel, provider, status"
    ):
        if status in ("sent", "delivered", "failed", "bounced", "dead"):
            per_route[(channel, provider)][1] += n
            if status in ("sent", "delivered"):
                per_route[(channel, provider)][0] += n
    sms = [
        (_when(r[0]), _when(r[1]), _when(r[2]))
        for r in _rows(
            "SELECT sent_at, receipt_at, delivered_at FROM notifications_delivery "
            f"WHERE channel = 'sms' AND status = 'delivered' AND sent_at IS NOT NULL AND {CUSTOMER_TRAFFIC}"
        )
    ]
    sms_waits = [((receipt or delivered) - sent).total_seconds() for sent, receipt, delivered in sms]
    emails = _rows(
        "SELECT opened_at FROM notifications_delivery "
        f"WHERE channel = 'email' AND status IN ('sent', 'delivered') AND {CUSTOMER_TRAFFIC}"
    )
    opened = sum(1 for (o,) in emails if o is not None)
    notified = {
        c
        for (c,) in _rows(
            "SELECT DISTINCT customer_id FROM notifications_notification "
            f"WHERE customer_id IS NOT NULL AND id NOT IN ({STAFF_NOTIFICATIONS})"
        )
    }
    opted = {
        c
        for (c,) in _rows(
            "SELECT customer_id FROM preferences_consentlog WHERE new_state = 'opted_out' AND type_key = ''"
        )
    }
    opted |= {c for (c,) in _rows("SELECT customer_id FROM preferences_channelconsent WHERE state = 'opted_out'")}
    costs = [
        Decimal(str(c))
        for (c,) in _rows(
            "SELECT cost FROM notifications_delivery "
            f"WHERE channel = 'sms' AND sent_at IS NOT NULL AND cost IS NOT NULL AND {CUSTOMER_TRAFFIC}"
        )
    ]
    volume = Counter()
    for created, channel in _rows(f"SELECT created_at, channel FROM notifications_delivery WHERE {CUSTOMER_TRAFFIC}"):
        volume[(timezone.localtime(_when(created)).date(), channel)] += 1
    failures = Counter(
        code or "unknown"
        for (code,) in _rows(
            "SELECT a.error_code FROM notifications_deliveryattempt a JOIN notifications_delivery d ON d.id = a.delivery_id "
            f"WHERE a.outcome IN ('transient', 'permanent', 'unknown') AND d.{CUSTOMER_TRAFFIC}"
        )
    )
    first_update, first_n = _first_after_event("shipment.", "delivered_at")
    stock_alert, stock_n = _first_after_event("stock.", "sent_at")
    return {
        "delivery_rate": (round(100.0 * accepted / attempted, 2) if attempted else None, attempted),
        "time_to_first_update": (first_update, first_n),
        "time_to_stock_alert": (stock_alert, stock_n),
        "sms_delivery_time": (_avg_seconds(sms_waits), len(sms_waits)),
        "email_open_rate": (round(100.0 * opened / len(emails), 2) if emails else None, len(emails)),
        "opt_out_rate": (round(100.0 * len(notified & opted) / len(notified), 2) if notified else None, len(notified)),
        "cost_per_sms": (float((sum(costs) / len(costs)).quantize(Decimal("0.00001"))) if costs else None, len(costs)),
        "delivery_rates": {k: round(100.0 * a / t, 2) for k, (a, t) in per_route.items() if t},
        "volume_per_day": dict(volume),
        "failure_reasons": dict(failures),
    }


def compare() -> list[dict]:
    """One row per figure: the dashboard's value, the independent value, and whether they match
    (within 0.01 for averages, which the database rounds differently)."""
    f = kpis.KpiFilters(start=None)
    raw = independent_kpis()
    rows = []
    for item in kpis.kpi_summary(f):
        value, n = raw[item["key"]]
        same = (value is None and item["value"] is None) or (
            value is not None and item["value"] is not None and abs(value - item["value"]) <= 0.011
        )
        rows.append(
            {
                "figure": item["key"],
                "dashboard": item["value"],
                "independent": value,
                "dashboard_n": item["n"],
                "independent_n": n,
                "match": same and n == item["n"],
            }
        )
    routes = {(r["channel"], r["provider"]): r["rate"] for r in kpis.delivery_rates(f)}
    rows.append(
        {
            "figure": "delivery_rates",
            "dashboard": routes,
            "independent": raw["delivery_rates"],
            "match": routes == raw["delivery_rates"],
        }
    )
    volume = {(r["day"], r["channel"]): r["deliveries"] for r in kpis.volume_per_day(f)}
    rows.append(
        {
            "figure": "volume_per_day",
            "dashboard": sum(volume.values()),
            "independent": sum(raw["volume_per_day"].values()),
            "match": volume == raw["volume_per_day"],
        }
    )
    reasons = Counter()
    for r in kpis.failure_reasons(f):
        reasons[r["error_code"]] += r["attempts"]
    rows.append(
        {
            "figure": "failure_reasons",
            "dashboard": dict(reasons),
            "independent": raw["failure_reasons"],
            "match": dict(reasons) == raw["failure_reasons"],
        }
    )
    return rows
