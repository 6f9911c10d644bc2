"""Celery tasks: thin wrappers that take ids and call services. Each is safe to run twice.
Beat runs the two sweepers that make a lost broker message or a dead worker lose nothing."""
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Delivery, PipelineSettings
from .selectors import deliveries_due, deliveries_stuck_sending, events_to_requeue
from .services.dispatch import delivery_send
from .services.planning import event_process

SWEEP_BATCH = 2000


def enqueue_event(event_id: int) -> None:
    process_event.apply_async((event_id,), queue="events")


def enqueue_deliveries(deliveries) -> None:
    """Queue sends on each channel's queue; short waits ride a countdown, long ones wait for
    the ``dispatch_due`` sweeper (a Redis ETA task would run twice past the visibility timeout)."""
    now = timezone.now()
    for d in deliveries:
        wait = (d.send_after - now).total_seconds()
        if wait <= 0:
            send_delivery.apply_async((d.pk,), queue=d.channel)
        elif wait <= 60:
            send_delivery.apply_async((d.pk,), queue=d.channel, countdown=wait)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_event(event_id: int) -> None:
    enqueue_deliveries(event_process(event_id=event_id))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_delivery(delivery_id: int, recover: bool = False) -> None:
    enqueue_deliveries(delivery_send(delivery_id=delivery_id, recover=recover))


@shared_task(ignore_result=True)
def sweep_events() -> int:
    """Re-queue events still unprocessed after the grace period."""
    scale = PipelineSettings.current().time_scale
    cutoff = timezone.now() - timezone.timedelta(seconds=settings.EVENT_SWEEP_GRACE_SECONDS * scale)
    ids = list(events_to_requeue(older_than=cutoff).values_list("pk", flat=True)[:SWEEP_BATCH])
    for event_id in ids:
        enqueue_event(event_id)
    return len(ids)


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Queue deliveries whose ``send_after`` has come, and recover sends stuck in flight."""
    scale = PipelineSettings.current().time_scale
    due = list(deliveries_due().only("pk", "channel", "send_after")[:SWEEP_BATCH])
    for d in due:
        send_delivery.apply_async((d.pk,), queue=d.channel)
    cutoff = timezone.now() - timezone.timedelta(seconds=settings.DELIVERY_SENDING_STALE_SECONDS * scale)
    stuck = list(deliveries_stuck_sending(older_than=cutoff).only("pk", "channel")[:SWEEP_BATCH])
    for d in stuck:
        send_delivery.apply_async((d.pk, True), queue=d.channel)
    return len(due) + len(stuck)


@shared_task(ignore_result=True)
def build_digests() -> int:
    """Collect held notifications whose digest time has come into daily digests and queue them."""
    from .services.digests import digests_build_due

    deliveries = digests_build_due()
    enqueue_deliveries(deliveries)
    return len(deliveries)
