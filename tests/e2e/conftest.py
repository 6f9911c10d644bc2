"""Fixtures for the end-to-end tests: a real Celery worker process pointed at the test database
and the configured broker (Redis, or the embedded filesystem broker under WAYPOST_DATA_DIR),
with the pipeline's waits compressed and the sandbox's faults set in its environment (the
``knobs``, read again at each start) and in this process for the sweeps it runs.

Tests using them must commit their data (``django_db(transaction=True)``): the worker is
another process and only sees committed rows."""

import fcntl
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from demo.report import pipeline_report
from demo.simulation import drain, start_worker, stop_worker
from tests.knobs import Knobs

TIME_SCALE = 0.01  # a 300 s coalescing window becomes 3 s; a 120 s stale send is recovered after 1.2 s


def database_url() -> str:
    """The test database (not the one DATABASE_URL names) as a URL for the worker's settings."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = Path(s["NAME"]).resolve()
        assert not str(s["NAME"]).startswith(("file:", ":memory:")), "e2e tests need a file SQLite test database"
        return f"sqlite:///{name}"  # name is absolute: sqlite:////abs/path
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    raise NotImplementedError(f"no e2e support for {connection.vendor}")


def purge_broker() -> None:
    """Drop messages left by earlier runs (a killed worker's unacked ones included), so a new
    worker only sees this test's traffic."""
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for path in (settings.BROKER_DIR / "queue").iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)
        return
    from config.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in settings.WAYPOST_QUEUES.split(","):
            channel.queue_purge(queue)
        if conn.transport.driver_type == "redis":
            # A SIGKILLed worker's unacked messages would come back after the visibility timeout.
            channel.client.delete(channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key)


class Worker:
    """A Celery worker process for one test: ``start()``, ``kill()`` (SIGKILL to its process
    group, as a machine crash would), ``stop()`` (warm shutdown); ``supervised``: under
    ``config.supervise`` (``process`` is the supervisor's; ``kill()`` kills the supervisor, and
    the worker, sent SIGTERM when it dies, shuts down warm)."""

    def __init__(self, *, log_dir: Path, env: dict, knobs: Knobs | None = None, supervised: bool = False):
        self.log_dir, self.env, self.knobs, self.supervised = log_dir, env, knobs, supervised
        self.process = None
        self.starts = 0

    def start(self) -> "Worker":
        assert self.process is None, "a worker is already running"
        self.starts += 1
        log = open(self.log_dir / f"worker-{self.starts}.log", "wb")  # noqa: SIM115 (the child process holds it)
        env = {**self.env, **(self.knobs.as_env() if self.knobs else {})}
        self.process = start_worker(concurrency=2, env=env, loglevel="info", logfile=log, supervised=self.supervised)
        log.close()  # the child holds its own descriptor
        return self

    def kill(self) -> None:
        stop_worker(self.process, kill=True)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_worker(self.process)
            self.process = None

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for path in sorted(self.log_dir.glob("worker-*.log")):
            out.append(f"--- {path.name}")
            out.extend(path.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(out)


@pytest.fixture
def e2e_lock():
    """One e2e test at a time per data folder and broker (pytest-xdist workers share both)."""
    with open(settings.DATA_DIR / "e2e.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
        fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def knobs(transactional_db):
    """Waits compressed, no sandbox faults: in this process (the sweeps the tests run) and in
    each worker the test starts (its environment, at start)."""
    return Knobs(time_scale=TIME_SCALE)


@pytest.fixture
def worker_env(transactional_db):
    env = {
        "DATABASE_URL": database_url(),
        "WAYPOST_DATA_DIR": str(settings.DATA_DIR),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LOG_LEVEL": "WARNING",
        # a SIGKILLed worker's sends are reconciled once their lease runs out: keep it short
        "DELIVERY_LEASE_MARGIN_SECONDS": "2",
    }
    return env


@pytest.fixture
def worker(e2e_lock, transactional_db, knobs, worker_env, tmp_path, request):
    """A started worker; stopped (killed if need be) before the database is flushed."""
    purge_broker()
    running = Worker(log_dir=tmp_path, env=worker_env, knobs=knobs).start()
    yield running
    try:
        running.stop()
    finally:
        if running.process is not None:
            running.kill()
        print(running.log_tail())  # shown by pytest when the test failed


@pytest.fixture
def settle():
    """``settle(brand)`` waits (with a timeout, doing beat's sweeps) until the brand's pipeline
    is idle and returns its ``pipeline_report``."""

    def wait(*brands, timeout: float = 120.0) -> dict:
        brand_ids = [b.pk for b in brands]
        drained = drain(brand_ids=brand_ids, timeout=timeout, quiet_seconds=1.0, poll=0.2)
        report = pipeline_report(brand_ids=brand_ids)
        assert drained, f"the pipeline did not drain in {timeout}s: {report}"
        return report

    return wait
