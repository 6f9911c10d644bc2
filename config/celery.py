"""The Celery application: configured from Django settings (CELERY_*), tasks autodiscovered, and
database connections kept between tasks as ``CONN_MAX_AGE`` says."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

from config.broker import register as register_filesystem_broker
from config.redis_transport import register as register_redis_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
register_filesystem_broker()
register_redis_transport()  # survives broker restarts (see config/redis_transport.py)

app = Celery("waypost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Celery's Django fixup closes every database connection before and after each task unless
    ``CELERY_DB_REUSE_MAX`` is set (celery#9824 reverted its use of ``CONN_MAX_AGE``): a new
    PostgreSQL connection per task, a tenth of the events worker's time in the bench's profile.
    Settings set ``CELERY_DB_REUSE_MAX``; this gives tasks Django's request lifecycle instead:
    connections past ``CONN_MAX_AGE``, broken ones, or left in a transaction are dropped, and
    ``CONN_HEALTH_CHECKS`` checks a reused one before its first query."""
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in the caller's process, connection and transaction: not a worker's task
    close_old_connections()
