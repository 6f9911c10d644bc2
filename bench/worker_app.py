"""The Celery app the bench's workers run: Waypost's own (``config.celery``) plus a counter of
SQL statements per task, added to Redis after each task (``bench:cost`` hash), so the bench can
report queries per delivery without touching the product's code."""

import os
from pathlib import Path

from celery.signals import task_postrun, worker_process_init, worker_ready

from config.celery import app  # noqa: F401  (the app celery -A finds)

_counts = {"queries": 0}
_redis = None
_log = {"path": os.environ.get("BENCH_LOG_QUERIES", ""), "sql": [], "seen": {}}


def _count(execute, sql, params, many, context):
    _counts["queries"] += 1
    if _log["path"]:
        _log["sql"].append(sql[:300])
    return execute(sql, params, many, context)


@worker_process_init.connect
def _install(**kwargs):
    global _redis
    import redis
    from django.db import connection

    connection.execute_wrappers.append(_count)
    _redis = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])


@task_postrun.connect
def _report(task=None, **kwargs):
    if _redis is None:
        return
    name = (task.name if task else "?").rsplit(".", 1)[-1]
    pipe = _redis.pipeline(transaction=False)
    pipe.hincrby("bench:cost", f"queries:{name}", _counts["queries"])
    pipe.hincrby("bench:cost", f"tasks:{name}", 1)
    pipe.execute()
    _counts["queries"] = 0
    if _log["path"]:  # BENCH_LOG_QUERIES=file: the SQL of each process's first two tasks per kind
        seen = _log["seen"][name] = _log["seen"].get(name, 0) + 1
        if seen <= 2:
            with open(_log["path"], "a") as fh:
                fh.write(
                    f"--- {name} (pid {os.getpid()}): {len(_log['sql'])} queries\n" + "\n".join(_log["sql"]) + "\n"
                )
        _log["sql"] = []


@worker_ready.connect
def _ready(sender=None, **kwargs):
    folder = os.environ.get("BENCH_READY_DIR")
    if folder:
        Path(folder, str(sender.hostname if sender else os.getpid())).touch()
