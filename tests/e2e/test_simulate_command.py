"""``manage.py simulate`` end to end, as an operator runs it: its own database and broker (a temp
WAYPOST_DATA_DIR; on PostgreSQL a database created and dropped here), its own worker, and one
JSON line at the end with nothing duplicated and nothing lost."""

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.e2e.conftest import purge_broker
from tests.redis_server import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _manage(*args, env, timeout):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        timeout=timeout,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def simulate_env(e2e_lock, tmp_path):
    env = {**os.environ, "WAYPOST_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    if connection.vendor != "postgresql":
        yield env  # SQLite and, unless CELERY_BROKER_URL says otherwise, the filesystem broker in the temp folder
        return
    s = connection.settings_dict
    name = f"wp_e2e_sim_{uuid.uuid4().hex[:8]}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    purge_broker()  # the simulation's worker shares the configured Redis database
    env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    try:
        yield env
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_simulate_reports_nothing_duplicated_and_nothing_lost(simulate_env):
    # given a migrated database of its own
    migrated = _manage("migrate", "--noinput", "-v0", env=simulate_env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    # when 20 customers' orders are simulated through the real pipeline
    run = _manage("simulate", "--orders", "20", "--timeout", "240", env=simulate_env, timeout=400)

    # then it exits 0 and its last line is the JSON report: no duplicates, nothing lost, drained
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert (report["duplicates"], report["lost"], report["drained"]) == (0, 0, True), report
    assert report["orders"] == 20 and report["events"] > 100
    assert report["latency_ms"]["count"] > 0


SETTINGS_PROBE = """
import datetime as dt
from django.conf import settings
from django.utils import timezone
from channels.base import OutboundMessage
from channels.sandbox import SandboxProvider
from notifications.waits import scaled
message = OutboundMessage(channel="email", to="probe@example.com", subject="probe")
results = {SandboxProvider(channel="email").send(message, idempotency_key=f"probe-{i}").status for i in range(40)}
print(scaled(300) == dt.timedelta(seconds=300), sorted(r.value for r in results))
"""


def test_killing_simulate_half_way_leaves_the_pipeline_as_it_was(simulate_env):
    # given a migrated database
    assert _manage("migrate", "--noinput", "-v0", env=simulate_env, timeout=300).returncode == 0

    # when a simulation with compressed waits and a failing sandbox is SIGKILLed half-way
    run = subprocess.Popen(
        [sys.executable, "manage.py", "simulate", "--orders", "30", "--fail-rate", "0.5", "--time-scale", "0.01"],
        cwd=settings.BASE_DIR,
        env=simulate_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    for line in run.stderr:
        if "shipping" in line:  # its worker runs and the scenario is half placed
            break
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)

    # then its worker, with the simulation's settings, is gone with it
    assert wait_until(lambda: not _simulation_workers(simulate_env["WAYPOST_DATA_DIR"]), timeout=15)
    # and any other process of the installation waits in real time and its sandbox never fails
    probe = _manage("shell", "-c", SETTINGS_PROBE, env=simulate_env, timeout=120)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.strip().splitlines()[-1] == "True ['delivered']"


def _simulation_workers(data_dir: str) -> list[int]:
    """Celery worker processes whose environment names this test's data folder and compressed
    waits (the simulation's own worker)."""
    from pathlib import Path

    pids = []
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if (
            b"celery" in cmdline
            and f"WAYPOST_DATA_DIR={data_dir}".encode() in environ
            and b"SIMULATION_TIME_SCALE=0.01" in environ
        ):
            pids.append(int(proc.name))
    return pids
