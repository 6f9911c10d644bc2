"""Celery workers keep their PostgreSQL connection from one task to the next, as CONN_MAX_AGE
says, instead of the Django fixup's new connection for every task."""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from config.celery import app
from notifications.tasks import process_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _run_task_lifecycle(fixup: DjangoWorkerFixup) -> int:
    """What a worker does around one task: the fixup's and our signal handlers, then a query."""
    fixup.on_task_prerun(sender=process_event)
    task_prerun.send(sender=process_event, task_id="t", task=process_event)
    pid = _backend_pid()
    task_postrun.send(sender=process_event, task_id="t", task=process_event)
    fixup.on_task_postrun(sender=process_event)
    return pid


def test_consecutive_tasks_reuse_one_database_connection():
    # given the worker's Django fixup, configured from our settings
    fixup = DjangoWorkerFixup(app)
    assert fixup.db_reuse_max

    # when three tasks run one after another
    pids = [_run_task_lifecycle(fixup) for _ in range(3)]

    # then they all ran on the same PostgreSQL backend
    assert len(set(pids)) == 1


def test_a_connection_left_in_a_broken_state_is_replaced():
    # given a connection whose autocommit a task failed to restore
    fixup = DjangoWorkerFixup(app)
    first = _run_task_lifecycle(fixup)
    connection.set_autocommit(False)

    # when the next task starts
    second = _run_task_lifecycle(fixup)

    # then it got a fresh connection, as a web request would
    assert second != first


@pytest.mark.django_db(transaction=False)
def test_an_eager_task_keeps_its_callers_connection_and_transaction():
    # given a caller inside a transaction (as a test, or CELERY_TASK_ALWAYS_EAGER, runs tasks)
    pid = _backend_pid()
    assert connection.in_atomic_block

    # when a task runs eagerly in that process
    process_event.apply(args=[0])

    # then the caller's connection and transaction are still there
    assert connection.in_atomic_block
    assert _backend_pid() == pid
