"""Celery tasks: thin wrappers that take ids and call services. Each is safe to run twice.
Beat runs the two sweepers that make a lost broker message or a dead worker lose nothing: a
dead worker's sends in flight are reconciled with their provider, never resent blindly."""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery, Event
from notifications.queueing import COUNTDOWN_MAX_SECONDS, enqueue_deliveries, enqueue_events
from notifications.selectors import deliveries_due, deliveries_reconcile_due, events_to_requeue, sweep_pick
from notifications.services.dispatch import deliveries_send
from notifications.services.planning import events_process
from notifications.services.reconcile import deliveries_lease_expired, deliveries_reconcile
from notifications.waits import scaled

SWEEP_BATCH = 2000


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_event(event_id: int) -> None:
    """Plan this event, and with it other events waiting (a burst is planned in batches)."""
    enqueue_deliveries(events_process(event_ids=[event_id], limit=settings.EVENT_BATCH_SIZE))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_events(event_ids: list[int]) -> None:
    enqueue_deliveries(events_process(event_ids=event_ids, limit=max(len(event_ids), settings.EVENT_BATCH_SIZE)))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_deliveries(delivery_ids: list[int], channel: str = "") -> None:
    """Send these deliveries and, up to ``SEND_BATCH_SIZE``, others of the channel that are due:
    under a backlog every message carries a full batch, and the later ones find less to do."""
    enqueue_deliveries(deliveries_send(delivery_ids=delivery_ids, channel=channel, fill_to=settings.SEND_BATCH_SIZE))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def reconcile_deliveries(delivery_ids: list[int], channel: str = "") -> None:
    """Ask the providers about deliveries whose send's outcome is unknown, and act on it."""
    enqueue_deliveries(deliveries_reconcile(delivery_ids=delivery_ids))


@shared_task(ignore_result=True)
def sweep_events() -> int:
    """Re-queue events still unprocessed after the grace period (backing off per event)."""
    now, grace = timezone.now(), scaled(settings.EVENT_SWEEP_GRACE_SECONDS)
    events = sweep_pick(
        events_to_requeue(older_than=now - grace).only("pk", "created_at", "queued_at"),
        now=now,
        grace=grace,
        limit=SWEEP_BATCH,
        began=lambda e: e.created_at,
        last_queued=lambda e: max(e.created_at, e.queued_at or e.created_at),
    )
    ids = _stamp_queued(Event, [e.pk for e in events], now)
    enqueue_events(ids)
    return len(ids)


def _stamp_queued(model, ids: list[int], now) -> list[int]:
    """Set ``queued_at`` on the rows no worker holds, and return their ids. A row a worker has
    locked is being handled; waiting for it could deadlock with the worker's own row locks."""
    with transaction.atomic():
        free = list(model.objects.select_for_update(skip_locked=True).filter(pk__in=ids).values_list("pk", flat=True))
        model.objects.filter(pk__in=free).update(queued_at=now)
    return free


def _delivery_last_queued(d: Delivery):
    """``enqueue_deliveries`` queued a delivery at its last change unless its wait was too long
    for a countdown; the sweeper's own queueing counts from that change on."""
    times = [d.queued_at] if d.queued_at and d.queued_at >= d.updated_at else []
    if (d.send_after - d.updated_at).total_seconds() <= COUNTDOWN_MAX_SECONDS:
        times.append(d.updated_at)
    return max(times, default=None)


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Queue deliveries whose ``send_after`` has come (sends, and look-ups of sends whose
    outcome is unknown), after turning sends whose in-flight lease ran out (a dead worker's)
    into look-ups; a delivery that already has a message on the queue is queued again only
    with backoff."""
    now = timezone.now()
    enqueue_deliveries(deliveries_lease_expired(now=now))
    fields = ("pk", "channel", "status", "send_after", "updated_at", "queued_at")
    grace = scaled(settings.EVENT_SWEEP_GRACE_SECONDS)
    due = []
    for rows in (deliveries_due(now=now), deliveries_reconcile_due(now=now)):
        due += sweep_pick(
            rows.only(*fields),
            now=now,
            grace=grace,
            limit=SWEEP_BATCH,
            last_queued=_delivery_last_queued,
            began=lambda d: max(d.send_after, d.updated_at),
        )
    stamped = set(_stamp_queued(Delivery, [d.pk for d in due], now))  # leaves updated_at alone
    due = [d for d in due if d.pk in stamped]
    for d in due:
        d.send_after = now  # due now: batched per channel
    enqueue_deliveries(due)
    return len(due)


@shared_task(ignore_result=True)
def build_digests() -> int:
    """Collect held notifications whose digest time has come into daily digests and queue them."""
    from notifications.services.digests import digests_build_due

    deliveries = digests_build_due()
    enqueue_deliveries(deliveries)
    return len(deliveries)
