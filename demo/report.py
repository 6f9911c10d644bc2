"""What simulations, the bench and the chaos run report: counts, latency, and duplicates and
losses counted at the providers."""

from notifications.models import Delivery, Event


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

    from demo.provider_ledger import accepted_copies
    from notifications.models import DeliveryAttempt, Notification

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
    internal_duplicates = (
        accepted.filter(delivery__resend_of__isnull=True)
        .values("delivery__notification_id", "delivery__channel")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    ok = {
        Notification.Status.DELIVERED,
        Notification.Status.SENT,
        Notification.Status.SUPERSEDED,
        Notification.Status.NOT_SENT,
    }
    # Held for a later digest (the customer's rhythm or a frequency cap) is deliberate, not lost:
    # the digest builder sends it at the customer's hour.
    waiting_for_digest = notifications.filter(
        status=Notification.Status.PLANNED,
        hold__in=[Notification.Hold.DIGEST, Notification.Hold.CAP],
        deliveries__isnull=True,
    )
    held = waiting_for_digest.count()
    pipeline_lost = (
        events.filter(processed_at__isnull=True).count()
        + notifications.exclude(status__in=ok).exclude(pk__in=waiting_for_digest.values("pk")).count()
    )
    firsts = (
        accepted.values("delivery__notification_id")
        .annotate(first=Min("finished_at"))
        .values_list("first", "delivery__notification__event__created_at")
    )
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
        "latency_ms": {
            "p50": _percentile(latencies, 50),
            "p95": _percentile(latencies, 95),
            "p99": _percentile(latencies, 99),
            "count": len(latencies),
        },
    }
    if not at_provider:
        return report
    tried = list(
        deliveries.filter(attempt_count__gt=0).only("pk", "notification_id", "channel", "status", "to", "resend_of_id")
    )
    ledger = accepted_copies(tried)
    copies = ledger.copies
    per_intent = Counter()
    for d in tried:
        if d.resend_of_id is None:
            per_intent[(d.notification_id, d.channel)] += copies[d.pk]
    never_arrived = sum(
        1
        for d in tried
        if d.status in (Delivery.Status.SENT, Delivery.Status.DELIVERED)
        and not copies[d.pk]
        and d.pk not in ledger.unmeasured_ids
    )
    report.update(
        {
            "accepted_at_provider": sum(copies.values()),
            "duplicates": sum(1 for n in per_intent.values() if n > 1),
            "extra_copies": sum(n - 1 for n in per_intent.values() if n > 1),
            "lost": pipeline_lost + never_arrived,
            "sent_not_at_provider": never_arrived,
            "unmeasured_providers": ledger.unmeasured,
        }
    )
    return report
