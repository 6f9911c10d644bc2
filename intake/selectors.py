"""Reads of intake and carrier state: the dead-letter list (most costly first), per-source
health (last success, error rate, lag, backlog; the carrier poller's circuit) and the shipments
carrier events are about."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from intake.models import CarrierAccount, IntakeRecord
from orders.models import Shipment


def dead_letters():
    return (
        IntakeRecord.objects.filter(status=IntakeRecord.Status.FAILED)
        .select_related("sales_channel")
        .order_by("-impact_score", "received_at")
    )


def source_health(*, window_hours: int = 24, now=None) -> list[dict]:
    """One row per source seen in the window (and each polled carrier): counts, error rate,
    backlog, lag (age of the oldest waiting record), last success and whether it is degraded."""
    now = now or timezone.now()
    since = now - timedelta(hours=window_hours)
    rows = (
        IntakeRecord.objects.filter(Q(received_at__gte=since) | Q(status=IntakeRecord.Status.RECEIVED))
        .values("source", "kind")
        .annotate(
            total=Count("id"),
            failed=Count("id", filter=Q(status=IntakeRecord.Status.FAILED)),
            backlog=Count("id", filter=Q(status=IntakeRecord.Status.RECEIVED)),
            oldest_waiting=Min("received_at", filter=Q(status=IntakeRecord.Status.RECEIVED)),
            last_success=Max(
                "processed_at",
                filter=Q(
                    status__in=[
                        IntakeRecord.Status.PROCESSED,
                        IntakeRecord.Status.WARNING,
                        IntakeRecord.Status.RESOLVED,
                    ]
                ),
            ),
        )
        .order_by("source")
    )
    report = []
    for row in rows:
        lag = (now - row["oldest_waiting"]).total_seconds() if row["oldest_waiting"] else 0.0
        error_rate = row["failed"] / row["total"] if row["total"] else 0.0
        reasons = []
        if lag > settings.INTAKE_LAG_DEGRADED_SECONDS:
            reasons.append(f"lag {int(lag)}s")
        if row["total"] >= settings.INTAKE_ERROR_RATE_MIN_RECORDS and error_rate > settings.INTAKE_ERROR_RATE_DEGRADED:
            reasons.append(f"error rate {error_rate:.0%}")
        report.append(
            {
                "source": row["source"],
                "kind": row["kind"],
                "received": row["total"],
                "failed": row["failed"],
                "error_rate": round(error_rate, 3),
                "backlog": row["backlog"],
                "lag_seconds": round(lag, 1),
                "last_success": row["last_success"],
                "circuit": "",
                "degraded": bool(reasons),
                "reasons": reasons,
            }
        )
    for account in CarrierAccount.objects.filter(poll_enabled=True, has_webhooks=False):
        reasons = []
        if account.circuit_state != CarrierAccount.Circuit.CLOSED:
            reasons.append(f"circuit {account.circuit_state}")
        elif account.consecutive_failures:
            reasons.append(f"{account.consecutive_failures} failed poll(s) in a row")
        report.append(
            {
                "source": f"poller:{account.carrier}",
                "kind": "carrier poller",
                "received": None,
                "failed": account.consecutive_failures,
                "error_rate": None,
                "backlog": None,
                "lag_seconds": round((now - account.last_success_at).total_seconds(), 1)
                if account.last_success_at
                else None,
                "last_success": account.last_success_at,
                "circuit": account.circuit_state,
                "degraded": bool(reasons),
                "reasons": reasons,
                "last_error": account.last_error,
            }
        )
    return report


def degraded_sources() -> list[dict]:
    return [{"source": r["source"], "reasons": r["reasons"]} for r in source_health() if r["degraded"]]


def carrier_event_shipments(*, account: CarrierAccount, events):
    """A function giving the shipment each of ``events`` is about (one query for the batch): its
    tracking number under the account's carrier, or, when the event names its carrier (an
    aggregator's payload: AfterShip's ``msg.slug``), under that carrier; failing that, the one
    shipment with that tracking number, if only one has it. None: unknown."""
    by_number: dict[str, list[Shipment]] = {}
    numbers = {e.tracking_number for e in events}
    for shipment in Shipment.objects.filter(tracking_number__in=numbers).order_by("id"):
        by_number.setdefault(shipment.tracking_number, []).append(shipment)

    def shipment_of(event) -> Shipment | None:
        candidates = by_number.get(event.tracking_number, [])
        carriers = event.carriers or (account.carrier,)
        for shipment in candidates:
            if shipment.carrier in carriers:
                return shipment
        if event.carriers and len(candidates) == 1:
            return candidates[0]
        return None

    return shipment_of
