"""Publishing a Celery message for work the database already holds (an outbox event, a due
delivery, a stored intake record). The row is the truth and a beat sweeper queues whatever is
left unprocessed again, so a message the broker does not take is late, not lost: ``publish``
never raises. A write that committed answers its request whatever the broker does.

A refusal is logged (task and ids only) and counted per task in ``PublishFailure``, one row per
task updated with ``F() + 1`` on the failure path only: every web and worker process adds to the
same figure, it outlives restarts, and the database is there while the broker is not (a Redis
counter would be down exactly when it is needed). How long one call may spend on a dead broker
is bounded by Celery's publish retry policy and the broker's socket timeouts (settings)."""

import logging

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.models import PublishFailure

log = logging.getLogger(__name__)

# What a broker that is down, restarting or unreachable raises through Celery: kombu wraps the
# transport's connection errors in OperationalError; socket errors and timeouts may come raw.
BROKER_ERRORS = (OperationalError, ConnectionError, TimeoutError, OSError)
LOGGED_IDS = 10


def publish(task, args=(), kwargs=None, **options) -> bool:
    """``task.apply_async(args, kwargs, **options)``; False when the broker did not take it."""
    try:
        task.apply_async(args, kwargs, **options)
        return True
    except BROKER_ERRORS as exc:
        log.warning(
            "broker did not take %s%s (%s: %s); a sweeper will queue it again",
            task.name,
            _ids(args),
            exc.__class__.__name__,
            str(exc)[:200],
        )
    except Exception:  # kombu may fail otherwise while the broker restarts; the row stays
        log.exception("publishing %s%s failed; a sweeper will queue it again", task.name, _ids(args))
    _count_failure(task.name)
    return False


def _ids(args) -> str:
    """``(12)``, or a long list's first ten ids and its length: ids, never a message's data."""
    shown = []
    for arg in args:
        if isinstance(arg, (list, tuple)) and len(arg) > LOGGED_IDS:
            shown.append(f"[{', '.join(map(str, arg[:LOGGED_IDS]))}, ... {len(arg)} ids]")
        else:
            shown.append(repr(arg))
    return f"({', '.join(shown)})"


def _count_failure(task_name: str) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint when called inside a transaction
            bump = PublishFailure.objects.filter(task=task_name)
            if bump.update(count=F("count") + 1, last_failed_at=now):
                return
            try:
                with transaction.atomic():
                    PublishFailure.objects.create(task=task_name, count=1, last_failed_at=now)
            except IntegrityError:  # another process created the row meanwhile
                bump.update(count=F("count") + 1, last_failed_at=now)
    except DatabaseError:
        log.warning("could not count the failed publish of %s", task_name, exc_info=True)
