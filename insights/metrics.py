"""``/metrics`` in the Prometheus text format (version 0.0.4): events, notifications and
deliveries by status, provider attempts and latency histograms, queue depths (pending
deliveries, unprocessed events, and the broker's queue lengths when it is Redis), retries, dead
letters, and messages the broker did not take (counted in the database by every process).
Readable only with ``Authorization: Bearer <METRICS_TOKEN>``; with no token configured the
endpoint does not exist (404). Every figure is one aggregate query."""

import hmac

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from core.models import PublishFailure
from notifications.models import Delivery, DeliveryAttempt, Event, Notification

LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)
QUEUES = ("events", "email", "sms", "whatsapp", "push", "celery")


def _labels(**labels) -> str:
    if not labels:
        return ""
    body = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels.items()
    )
    return "{" + body + "}"


class Exposition:
    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for suffix, labels, value in samples:
            self.lines.append(f"{name}{suffix}{_labels(**labels)} {value}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _latency_samples():
    aggregates = {f"le_{b}": Count("id", filter=Q(latency_ms__lte=b)) for b in LATENCY_BUCKETS_MS}
    rows = (
        DeliveryAttempt.objects.filter(latency_ms__isnull=False)
        .values("provider")
        .annotate(n=Count("id"), total=Sum("latency_ms"), **aggregates)
        .order_by("provider")
    )
    for row in rows:
        for b in LATENCY_BUCKETS_MS:
            yield "_bucket", {"provider": row["provider"], "le": f"{b / 1000:g}"}, row[f"le_{b}"]
        yield "_bucket", {"provider": row["provider"], "le": "+Inf"}, row["n"]
        yield "_sum", {"provider": row["provider"]}, f"{(row['total'] or 0) / 1000:g}"
        yield "_count", {"provider": row["provider"]}, row["n"]


def broker_queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue when the broker is Redis (a list per queue); empty otherwise."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1)
        return {q: client.llen(q) for q in QUEUES}
    except Exception:  # a scrape must answer even when the broker does not
        return {}


def metrics_text() -> str:
    out = Exposition()
    events = Event.objects.aggregate(n=Count("id"), unprocessed=Count("id", filter=Q(processed_at__isnull=True)))
    out.family("waypost_events_total", "counter", "Events written to the outbox.", [("", {}, events["n"])])
    out.family(
        "waypost_notifications",
        "gauge",
        "Notifications by status.",
        [
            ("", {"status": r["status"]}, r["n"])
            for r in Notification.objects.values("status").annotate(n=Count("id")).order_by("status")
        ],
    )
    out.family(
        "waypost_deliveries",
        "gauge",
        "Deliveries by channel and status.",
        [
            ("", {"channel": r["channel"], "status": r["status"]}, r["n"])
            for r in Delivery.objects.values("channel", "status").annotate(n=Count("id")).order_by("channel", "status")
        ],
    )
    out.family(
        "waypost_delivery_attempts_total",
        "counter",
        "Provider calls by provider and outcome.",
        [
            ("", {"provider": r["provider"], "outcome": r["outcome"]}, r["n"])
            for r in DeliveryAttempt.objects.values("provider", "outcome")
            .annotate(n=Count("id"))
            .order_by("provider", "outcome")
        ],
    )
    out.family("waypost_provider_latency_seconds", "histogram", "Time of one provider call.", _latency_samples())
    depth = [
        ("", {"queue": "deliveries_pending"}, Delivery.objects.filter(status=Delivery.Status.PENDING).count()),
        ("", {"queue": "events_unprocessed"}, events["unprocessed"]),
    ]
    depth += [("", {"queue": f"broker:{q}"}, n) for q, n in broker_queue_lengths().items()]
    out.family(
        "waypost_queue_depth", "gauge", "Work waiting: pending deliveries, unprocessed events, broker queues.", depth
    )
    out.family(
        "waypost_retries_total",
        "counter",
        "Provider attempts after a delivery's first (retries).",
        [("", {}, DeliveryAttempt.objects.filter(number__gt=1).count())],
    )
    out.family(
        "waypost_dead_letters",
        "gauge",
        "Deliveries that failed on every channel, waiting for an agent.",
        [("", {}, Delivery.objects.filter(status=Delivery.Status.DEAD).count())],
    )
    out.family(
        "waypost_broker_publish_failures_total",
        "counter",
        "Messages the broker did not take, by task (the sweepers queue their work again).",
        [("", {"task": task}, n) for task, n in PublishFailure.objects.order_by("task").values_list("task", "count")],
    )
    return out.text()


@require_GET
def metrics_view(request):
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        raise Http404("metrics are off (set METRICS_TOKEN)")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("forbidden\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
