"""The bench runner: ``python -m bench [--scenarios throughput,latency,...] [--size N] ...``.

It creates its own PostgreSQL database and uses a Redis database (the machine's own, or
``BENCH_DATABASE_URL`` / ``BENCH_REDIS_URL``), starts the fake ESP and the fake Vonage (TLS) with
``--latency-ms`` / ``--error-rate``, one Celery worker per core (the first on the ``events`` queue,
the others on the channel queues; one worker takes every queue on a single core), runs the chosen
scenarios and the two comparisons, and writes ``bench/results/<stamp>.json`` plus a chart. Every
process it started is stopped on exit, on Ctrl-C and on failure (process groups, signal handlers,
try/finally); the database is dropped unless ``--keep-db``."""

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import procs

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
ALL = ["throughput", "email_only", "latency", "spike", "growth", "intake", "postoffice", "floor"]
CHANNEL_QUEUES = "email,sms,whatsapp,push,celery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", default=",".join(ALL), help=f"comma-separated, from {','.join(ALL)}")
    p.add_argument(
        "--size", type=int, default=None, help="events for throughput, email_only, comparisons (default 10000)"
    )
    p.add_argument("--throughput-events", type=int, default=10_000)
    p.add_argument("--spike-events", type=int, default=50_000)
    p.add_argument(
        "--growth-sizes",
        default="1000,10000,50000",
        help="throughput at these sizes; sizes equal to the throughput or spike run reuse it",
    )
    p.add_argument("--rates", default="50,200", help="latency: offered loads, events/s")
    p.add_argument("--duration", type=float, default=60.0, help="latency: seconds per offered load")
    p.add_argument("--intake-requests", type=int, default=2000, help="intake: posts per kind (bounded)")
    p.add_argument("--intake-seconds", type=float, default=60.0, help="intake: time bound per kind")
    p.add_argument("--intake-clients", type=int, default=8, help="intake: client threads")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="Celery worker processes (default: cores)")
    p.add_argument("--events-concurrency", type=int, default=2, help="prefork pool of the events worker")
    p.add_argument("--send-concurrency", type=int, default=4, help="prefork pool of each channel worker")
    p.add_argument(
        "--send-threads",
        type=int,
        default=8,
        help="provider calls side by side in each channel worker process (SEND_THREADS)",
    )
    p.add_argument("--latency-ms", type=float, default=20.0, help="fake providers' answer time")
    p.add_argument("--error-rate", type=float, default=0.0, help="fake providers' random transient errors")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy every worker during email_only and latency, gunicorn during intake",
    )
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)
    if args.size:
        args.throughput_events = args.size
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(ALL)
    if unknown:
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def bench_env(*, db_url, redis_url, esp_port, vonage_port, ca_path, send_threads: int = 8) -> dict:
    """The environment of every Waypost process the bench starts (and of the runner itself)."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WAYPOST_DATA_DIR": str(VAR / "data"),
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": redis_url,
        "REDIS_URL": redis_url,
        "BENCH_REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        "EMAIL_PROVIDER": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "bench-token",
        "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{esp_port}/",
        "SMS_PROVIDER": "vonage",
        "SMS_ROUTES": "*=vonage",
        "VONAGE_API_KEY": "bench",
        "VONAGE_API_SECRET": "bench-secret",
        "VONAGE_REST_HOST": f"127.0.0.1:{vonage_port}",
        "VONAGE_API_HOST": f"127.0.0.1:{vonage_port}",
        "VONAGE_CA_BUNDLE": ca_path,
        # Off for the run: they hold or drop messages by design, and the bench measures the pipeline.
        "SMS_RATE_LIMITS": "vonage=0;twilio=0",  # a real account's send rate (30/s by default)
        "SMS_CUSTOMER_CAP_PER_HOUR": "1000000",
        "FREQUENCY_CAPS": "email=0;sms=0;whatsapp=0;push=0",
        "QUIET_HOURS_DEFAULT": "",  # no quiet hours for customers without their own preferences
        "API_THROTTLE_RATE": "1000000/minute",
        "BENCH_READY_DIR": str(VAR / "ready"),
        "SEND_THREADS": str(send_threads),
    }


def _admin(db_url: str):
    import psycopg

    base, name = db_url.rsplit("/", 1)
    return psycopg.connect(f"{base}/postgres", autocommit=True), name


def create_database(db_url: str) -> None:
    conn, name = _admin(db_url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(db_url: str) -> None:
    try:
        conn, name = _admin(db_url)
        with conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001 - cleanup must not mask the real error
        print(f"bench: could not drop {db_url}: {exc}", file=sys.stderr)


class Bench:
    """What scenarios share: settings, the processes, a 1 s sampler of queues, backlog and RSS."""

    def __init__(self, args, env):
        self.args, self.env = args, env
        self.workers: list[dict] = []
        self.samples: list[dict] = []
        self.brand_ids: list[int] = []
        self.label = ""
        self._stop = threading.Event()
        self._sampler = None
        self.t0 = time.time()

    # --- processes ---
    def start_fakes(self, esp_port, vonage_port, ca_path):
        py = sys.executable
        lat, err = str(self.args.latency_ms), str(self.args.error_rate)
        log = VAR / "logs"
        self.esp = procs.spawn(
            [
                py,
                "-m",
                "tests.fakes.esp",
                "--port",
                str(esp_port),
                "--latency-ms",
                lat,
                "--error-rate",
                err,
                "--stats-only",
            ],
            cwd=ROOT,
            env=self.env,
            log=log / "esp.log",
        )
        self.vonage = procs.spawn(
            [
                py,
                "-m",
                "tests.fakes.vonage",
                "--port",
                str(vonage_port),
                "--ca-out",
                ca_path,
                "--latency-ms",
                lat,
                "--error-rate",
                err,
                "--stats-only",
            ],
            cwd=ROOT,
            env=self.env,
            log=log / "vonage.log",
        )
        procs.wait_for_line(log / "esp.log", "listening", proc=self.esp)
        procs.wait_for_line(log / "vonage.log", "listening", proc=self.vonage)
        self.esp_url = f"http://127.0.0.1:{esp_port}"

    def start_workers(self):
        ready = Path(self.env["BENCH_READY_DIR"])
        shutil.rmtree(ready, ignore_errors=True)
        ready.mkdir(parents=True)
        n = max(1, self.args.workers)
        for i in range(n):
            if n == 1:
                queues, conc, name = f"events,{CHANNEL_QUEUES}", self.args.send_concurrency, "all"
            elif i == 0:
                queues, conc, name = "events", self.args.events_concurrency, "events"
            else:
                queues, conc, name = CHANNEL_QUEUES, self.args.send_concurrency, f"send{i}"
            cmd = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bench.worker_app",
                "worker",
                "-l",
                "warning",
                "-Q",
                queues,
                f"--concurrency={conc}",
                "-n",
                f"{name}@bench",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ]
            proc = procs.spawn(cmd, cwd=ROOT, env=self.env, log=VAR / "logs" / f"worker-{name}.log")
            self.workers.append({"name": name, "queues": queues, "concurrency": conc, "proc": proc})
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < n:
            if time.monotonic() > deadline or any(w["proc"].poll() is not None for w in self.workers):
                raise RuntimeError("workers did not start; see var/bench/logs/worker-*.log")
            time.sleep(0.2)

    def worker_pids(self) -> dict[str, list[int]]:
        return {w["name"]: procs.tree(w["proc"].pid) for w in self.workers}

    def worker_cpu(self) -> float:
        return sum(procs.tree_cpu(p) for p in self.worker_pids().values())

    def esp_stats(self) -> dict:
        import requests

        return requests.get(f"{self.esp_url}/_stats", timeout=10).json()

    def esp_reset(self) -> None:
        import requests

        requests.post(f"{self.esp_url}/_reset", timeout=10)

    def wait_queues_empty(self, timeout: float = 600) -> float:
        """Wait until the broker holds no message, queued or reserved by a worker, for a second:
        a burst leaves send messages whose deliveries others' batches already took, and their
        work belongs to that burst, not to the next scenario. Returns the seconds waited."""
        import redis

        from insights.metrics import QUEUES

        r = redis.Redis.from_url(self.env["BENCH_REDIS_URL"])
        started = time.monotonic()
        empty_since = None
        while time.monotonic() - started < timeout:
            if sum(r.llen(q) for q in QUEUES) + r.hlen("unacked") == 0:
                empty_since = empty_since or time.monotonic()
                if time.monotonic() - empty_since >= 1.0:
                    break
            else:
                empty_since = None
            time.sleep(0.2)
        return round(time.monotonic() - started, 1)

    # --- sampler ---
    def start_sampler(self):
        self._sampler = threading.Thread(target=self._sample_loop, daemon=True, name="bench-sampler")
        self._sampler.start()

    def stop_sampler(self):
        self._stop.set()
        if self._sampler:
            self._sampler.join(timeout=10)

    def _sample_loop(self):
        import redis
        from django.db import connection

        from notifications.models import Delivery, Event

        r = redis.Redis.from_url(self.env["BENCH_REDIS_URL"])
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                row = {
                    "t": round(time.time() - self.t0, 2),
                    "scenario": self.label,
                    "llen": {q: r.llen(q) for q in ("events", "email", "sms")},
                }
                if self.brand_ids:
                    ids = list(self.brand_ids)
                    row["unprocessed_events"] = Event.objects.filter(
                        brand_id__in=ids, processed_at__isnull=True
                    ).count()
                    # Scenarios run one at a time: all pending rows are this one's (an index count,
                    # not a join over the whole backlog every second).
                    row["pending_deliveries"] = Delivery.objects.filter(status__in=["pending", "sending"]).count()
                row["rss_kb"] = {
                    name: {str(p): procs.status_kb(p, "VmRSS") for p in pids}
                    for name, pids in self.worker_pids().items()
                }
                self.samples.append(row)
            except Exception as exc:  # noqa: BLE001 - a sample lost is not a run lost
                self.samples.append({"t": round(time.time() - self.t0, 2), "error": str(exc)[:200]})
                connection.close()
            self._stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))
        connection.close()


def machine_info(env) -> dict:
    import psycopg
    import redis

    mem_kb = next(
        int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
    )
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        pg = conn.execute("show server_version").fetchone()[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", None
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": pg,
        "redis": redis.Redis.from_url(env["BENCH_REDIS_URL"]).info()["redis_version"],
        "load_avg_at_start": os.getloadavg(),
        "git_commit": commit,
        "git_dirty": dirty,
    }


def main(argv=None):
    args = parse(argv)
    procs.install_cleanup()
    for sub in ("logs", "data"):
        (VAR / sub).mkdir(parents=True, exist_ok=True)
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waypost_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    esp_port, vonage_port = free_port(), free_port()
    ca_path = str(VAR / "vonage-ca.pem")
    env = {
        **os.environ,
        **bench_env(
            db_url=db_url,
            redis_url=redis_url,
            esp_port=esp_port,
            vonage_port=vonage_port,
            ca_path=ca_path,
            send_threads=args.send_threads,
        ),
    }
    os.environ.update(env)
    started = time.time()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    print(f"bench: {', '.join(args.scenarios)}; database {db_url}, redis {redis_url}", flush=True)
    create_database(db_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    bench = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        bench = Bench(args, env)
        bench.start_fakes(esp_port, vonage_port, ca_path)
        bench.start_workers()
        bench.start_sampler()
        from bench import scenarios

        results = {
            "machine": machine_info(env),
            "started_at": stamp,
            "settings": {k: v for k, v in vars(args).items()},
            "worker_layout": [{k: w[k] for k in ("name", "queues", "concurrency")} for w in bench.workers],
            "environment": {
                k: env[k]
                for k in (
                    "SMS_RATE_LIMITS",
                    "SMS_CUSTOMER_CAP_PER_HOUR",
                    "FREQUENCY_CAPS",
                    "QUIET_HOURS_DEFAULT",
                    "EMAIL_PROVIDER",
                    "SMS_ROUTES",
                    "DEBUG",
                )
            },
            "scenarios": {},
        }
        scenarios.run_all(bench, results)
        results["wall_seconds"] = round(time.time() - started, 1)
        results["samples"] = bench.samples
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"bench-{stamp}.json"
        path.write_text(json.dumps(results, indent=1, default=str))
        print(f"bench: wrote {path}", flush=True)
        from bench import chart

        chart.render(path, out / f"bench-{stamp}.png")
        print(json.dumps(results.get("summary", {}), indent=1, default=str), flush=True)
    finally:
        if bench:
            bench.stop_sampler()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001
            pass
        procs.stop_all()
        if not args.keep_db:
            drop_database(db_url)
