"""Putting the pipeline's work on the broker: planning for events, and for deliveries what they
need next (a send, or a look-up at the provider). The one module that publishes; everything else
returns the work it made and calls these, after its transaction commits (``*_on_commit``).

Messages carry ids only, and publishing never raises (``core.publishing``): a message the broker
did not take is made again by the sweepers, from the rows the database already holds."""

import math
import weakref

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.publishing import publish
from notifications.models import Delivery

COUNTDOWN_MAX_SECONDS = 60  # longer waits are left to the dispatch_due sweeper
_batches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> its batch's callback


def _task(name: str):
    """A task of ``notifications.tasks`` by name, from the Celery app's registry (the tasks
    module uses this one; importing it back would make a cycle)."""
    return current_app.tasks[f"notifications.tasks.{name}"]


def enqueue_events(event_ids: list[int]) -> None:
    """Queue planning for events, up to ``EVENT_BATCH_SIZE`` a message. A broker that refuses
    one message gets no more from this call: ``sweep_events`` queues the rest later."""
    size = max(1, settings.EVENT_BATCH_SIZE)
    for start in range(0, len(event_ids), size):
        chunk = event_ids[start : start + size]
        if len(chunk) == 1:
            sent = publish(_task("process_event"), (chunk[0],), queue="events")
        else:
            sent = publish(_task("process_events"), (chunk,), queue="events")
        if not sent:
            return


class _EventBatch:
    """The events of one transaction, published by its one on-commit callback (this object)."""

    def __init__(self):
        self.ids: list[int] = []
        self.done = False

    def __call__(self) -> None:
        self.done = True
        enqueue_events(self.ids)


def event_enqueue_on_commit(event_id: int) -> None:
    """Queue an event's planning once the current transaction commits. The events a transaction
    writes (an import, a bulk update) share its one callback. The callback is held only by
    Django's list of this transaction's callbacks: when that list is run or thrown away (a
    rollback), the callback is gone, and the next event starts a new batch."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        enqueue_events([event_id])
        return
    held = _batches.get(connection)
    batch = held() if held is not None else None
    if batch is None or batch.done:
        batch = _EventBatch()
        _batches[connection] = weakref.ref(batch)
        transaction.on_commit(batch)
    batch.ids.append(event_id)


def enqueue_deliveries(deliveries) -> None:
    """Queue what each delivery needs next on its channel's queue: a send (pending) or a look-up
    at the provider (reconciling), up to ``SEND_BATCH_SIZE`` deliveries a message (those due
    within the same second share one). Short waits ride a countdown; long ones wait for the
    ``dispatch_due`` sweeper (a Redis ETA task would run twice past the visibility timeout), as
    do all of a call's deliveries once the broker refused one."""
    now = timezone.now()
    groups: dict[tuple[bool, str, int], list] = {}
    for d in deliveries:
        wait = (d.send_after - now).total_seconds()
        if wait <= COUNTDOWN_MAX_SECONDS:
            reconciling = d.status == Delivery.Status.RECONCILING
            groups.setdefault((reconciling, d.channel, max(0, math.ceil(wait))), []).append(d.pk)
    size = max(1, settings.SEND_BATCH_SIZE)
    for (reconciling, channel, wait), ids in groups.items():
        task = _task("reconcile_deliveries" if reconciling else "send_deliveries")
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            if not publish(task, (chunk,), {"channel": channel}, queue=channel, countdown=wait or None):
                return


def deliveries_enqueue_on_commit(deliveries) -> None:
    """``enqueue_deliveries`` once the current transaction commits (at once outside one)."""
    deliveries = list(deliveries)
    if deliveries:
        transaction.on_commit(lambda: enqueue_deliveries(deliveries))
