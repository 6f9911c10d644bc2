"""``make chaos``: a bounded fault run on PostgreSQL + Redis with real Celery workers, the web
server and the fake providers (Postmark-shaped ESP, Twilio, Vonage over TLS sending delivery
receipts), counting at the providers: every scenario prints one JSON line, and the run writes
``bench/results/chaos-<stamp>.json``.

Scenarios (a burst of ``shipment.delivered`` events, email + SMS per customer, for each):

- ``sigkill``: three waves of events, the worker's whole process group SIGKILLed during each
  with sends in flight, and started again;
- ``broker_restart``: the broker (a private ``redis-server`` on its own port) stopped mid-burst
  and started again; skipped, with the reason, when the binary is missing;
- ``db_terminate``: the workers' database connections terminated mid-run (``pg_terminate_backend``
  on theirs only), three times;
- ``brownout_email`` / ``outage_email``: the ESP hangs 10%, drops 5%, fails 5% / hangs 35%,
  drops 15%; the same for SMS through Twilio (``*_sms_twilio``) and through Vonage
  (``*_sms_vonage``, whose lost receipts a tenth of the time make its policy show).

Figures per scenario: events, notifications, messages accepted at the providers, duplicates at
the providers (a notification accepted twice on a channel), lost (sent per Waypost, never
accepted; or never sent), the unknown outcomes and how they were settled, and the recovery time
(from the fault's end to an idle pipeline). Email, Twilio: 0 duplicates and 0 lost, or the run
fails. Vonage has no look-up: a send whose answer was lost is sent again when no receipt came
within the wait, so its duplicates may not exceed those resends (the README's policy)."""

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import sys
import time
from pathlib import Path

from bench import procs
from bench.run import ROOT, create_database, drop_database, free_port, machine_info

VAR = ROOT / "var" / "chaos"
RESULTS = ROOT / "bench" / "results"
SCENARIOS = [
    "sigkill",
    "broker_restart",
    "db_terminate",
    "brownout_email",
    "outage_email",
    "brownout_sms_twilio",
    "outage_sms_twilio",
    "brownout_sms_vonage",
    "outage_sms_vonage",
]
BROWNOUT = {"hang": 0.10, "drop": 0.05, "500": 0.05}
OUTAGE = {"hang": 0.35, "drop": 0.15}
DLR_SECRET = "chaos-dlr-secret-0123456789"
RUNNER_APP = "chaos-runner"


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, from {','.join(SCENARIOS)}")
    p.add_argument("--events", type=int, default=150, help="events per scenario (each: an email and an SMS)")
    p.add_argument("--timeout", type=float, default=300, help="seconds a scenario may take to drain")
    p.add_argument("--latency-ms", type=float, default=50, help="the fake providers' answer time")
    p.add_argument("--concurrency", type=int, default=3, help="the worker's prefork processes")
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def chaos_env(*, db_url, broker_url, ports: dict, ca_path: str) -> dict:
    """The environment of every Waypost process of the run (the runner's own connection gets an
    application name, so terminating the workers' connections spares it)."""
    site = f"http://127.0.0.1:{ports['web']}"
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WAYPOST_DATA_DIR": str(VAR / "data"),
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker_url,
        "REDIS_URL": broker_url,
        "CACHE_URL": "locmemcache://chaos",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        "SITE_URL": site,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_PROVIDER": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "chaos-token",
        "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{ports['esp']}/",
        "ANYMAIL_REQUESTS_TIMEOUT": "2",
        "SMS_ROUTES": "US=twilio;*=vonage",
        "SMS_SENDER_NUMBERS": "US=+12025550100",
        "TWILIO_ACCOUNT_SID": "ACchaos",
        "TWILIO_AUTH_TOKEN": "chaos-twilio-token",
        "TWILIO_API_BASE": f"http://127.0.0.1:{ports['twilio']}",
        "TWILIO_TIMEOUT_SECONDS": "2",
        "VONAGE_API_KEY": "chaos",
        "VONAGE_API_SECRET": "chaos-secret",
        "VONAGE_SIGNATURE_SECRET": DLR_SECRET,
        "VONAGE_REST_HOST": f"127.0.0.1:{ports['vonage']}",
        "VONAGE_API_HOST": f"127.0.0.1:{ports['vonage']}",
        "VONAGE_CA_BUNDLE": ca_path,
        "VONAGE_TIMEOUT_SECONDS": "2",
        # The fakes' records are consistent at once; Vonage: wait 20 s for a receipt.
        "RECONCILE_SETTLE_SECONDS": "postmark=3;twilio=3;vonage=20",
        "RECONCILE_FIRST_LOOKUP_SECONDS": "1",
        "DELIVERY_LEASE_MARGIN_SECONDS": "5",
        "DELIVERY_BACKOFF_BASE_SECONDS": "1",
        "DELIVERY_BACKOFF_MAX_SECONDS": "10",
        "DELIVERY_MAX_ATTEMPTS": "12",
        "SMS_RATE_LIMITS": "vonage=0;twilio=0",
        "SMS_CUSTOMER_CAP_PER_HOUR": "1000000",
        "FREQUENCY_CAPS": "email=0;sms=0;whatsapp=0;push=0",
        "QUIET_HOURS_DEFAULT": "",
        "EVENT_SWEEP_GRACE_SECONDS": "5",
    }


class Chaos:
    """The processes of a run and the faults put on them."""

    def __init__(self, args, env, ports, ca_path):
        self.args, self.env, self.ports, self.ca_path = args, env, ports, ca_path
        self.worker = self.broker = None
        self.redis_server = shutil.which("redis-server")

    # --- processes ---
    def _spawn(self, name, cmd, env=None):
        return procs.spawn(cmd, cwd=ROOT, env=env or self.env, log=VAR / "logs" / f"{name}.log")

    def start_broker(self) -> None:
        self.broker = self._spawn(
            "redis",
            [
                self.redis_server,
                "--port",
                str(self.ports["redis"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        procs.wait_for_line(VAR / "logs" / "redis.log", "Ready to accept connections", proc=self.broker)

    def stop_broker(self) -> None:
        procs.stop(self.broker, timeout=10)
        self.broker = None

    def start_fakes(self) -> None:
        py, lat = sys.executable, str(self.args.latency_ms)
        site = self.env["SITE_URL"]
        self.esp = self._spawn(
            "esp",
            [
                py,
                "-m",
                "tests.fakes.esp",
                "--port",
                str(self.ports["esp"]),
                "--latency-ms",
                lat,
                "--stats-only",
                "--hang-seconds",
                "6",
            ],
        )
        self.twilio = self._spawn(
            "twilio",
            [
                py,
                "-m",
                "tests.fakes.twilio",
                "--port",
                str(self.ports["twilio"]),
                "--latency-ms",
                lat,
                "--stats-only",
                "--hang-seconds",
                "6",
            ],
        )
        self.vonage = self._spawn(
            "vonage",
            [
                py,
                "-m",
                "tests.fakes.vonage",
                "--port",
                str(self.ports["vonage"]),
                "--ca-out",
                self.ca_path,
                "--latency-ms",
                lat,
                "--stats-only",
                "--hang-seconds",
                "6",
                "--dlr-url",
                f"{site}/webhooks/vonage/sms/dlr/",
                "--dlr-secret",
                DLR_SECRET,
                "--dlr-delay-ms",
                "300",
                "--dlr-share",
                os.environ.get("CHAOS_DLR_SHARE", "0.9"),
            ],
        )
        for name, proc in (("esp", self.esp), ("twilio", self.twilio), ("vonage", self.vonage)):
            procs.wait_for_line(VAR / "logs" / f"{name}.log", "listening", proc=proc)

    def start_web(self) -> None:
        web_env = {**self.env, "DATABASE_URL": _with_app(self.env["DATABASE_URL"], "chaos-web")}
        self.web = procs.start_gunicorn(
            port=self.ports["web"], env=web_env, log=VAR / "logs" / "gunicorn.log", cwd=ROOT, workers=2
        )

    def start_worker(self) -> None:
        from django.conf import settings

        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "-Q",
            settings.WAYPOST_QUEUES,
            f"--concurrency={self.args.concurrency}",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
        self.worker = self._spawn("worker", cmd)

    def kill_worker(self) -> None:
        """SIGKILL the worker's whole process group, as a machine crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)

    def accepted_total(self) -> int:
        """Messages the fake ESP and the fake Twilio have taken so far."""
        import requests

        return sum(
            requests.get(f"http://127.0.0.1:{self.ports[fake]}/_fake/accepted", timeout=10).json()["total"]
            for fake in ("esp", "twilio")
        )

    def faults(self, fake: str, spec: dict) -> None:
        import requests

        port = self.ports[fake]
        scheme, verify = ("https", self.ca_path) if fake == "vonage" else ("http", True)
        requests.post(f"{scheme}://127.0.0.1:{port}/_fake/faults", json=spec, timeout=10, verify=verify)


def _with_app(db_url: str, name: str) -> str:
    return f"{db_url}{'&' if '?' in db_url else '?'}application_name={name}"


# --- scenarios ------------------------------------------------------------------------------


def _in_flight(brand, since=None) -> int:
    """Sends of the brand in flight (claimed since ``since``: a dead worker's stay in flight
    until their lease ends)."""
    from notifications.models import Delivery

    rows = Delivery.objects.filter(notification__brand=brand, status=Delivery.Status.SENDING)
    return (rows.filter(updated_at__gte=since) if since else rows).count()


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _terminate_worker_connections(db_name: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND application_name NOT IN (%s, %s)",
            [db_name, RUNNER_APP, "chaos-web"],
        )
        return cursor.fetchone()[0]


def run_scenario(chaos: Chaos, name: str) -> dict:
    from django.utils import timezone

    from bench import fixtures
    from demo.simulation import drain

    sms_via = "twilio" if name.endswith("twilio") else "vonage" if name.endswith("vonage") else "twilio"
    brand, channel = fixtures.make_brand(f"chaos-{name}")
    rows = fixtures.make_shipments(brand, channel, chaos.args.events, country="US" if sms_via == "twilio" else "GB")
    fake = "esp" if "email" in name else sms_via
    if name.startswith(("brownout", "outage")):
        chaos.faults(fake, BROWNOUT if name.startswith("brownout") else OUTAGE)
    started = time.monotonic()
    fault_over = started
    notes = {}
    if name == "broker_restart":
        half = len(rows) // 2
        fixtures.publish_burst(brand, rows[:half], chunk=25)
        _wait(lambda: _in_flight(brand) > 0, 30)
        chaos.stop_broker()
        fixtures.publish_burst(brand, rows[half:], chunk=25)  # written, not queued: the sweeper's job
        time.sleep(5)
        chaos.start_broker()
        fault_over = time.monotonic()
    elif name != "sigkill":
        fixtures.publish_burst(brand, rows, chunk=25)
    if name == "sigkill":
        kills, wave = 0, -(-len(rows) // 3)
        for start in range(0, len(rows), wave):
            # A wave of events, and the worker killed while its calls are being answered: the
            # providers took some of the wave's sends, others are still in flight.
            since, taken = timezone.now(), chaos.accepted_total()
            fixtures.publish_burst(brand, rows[start : start + wave], chunk=25)

            def sending(since=since, taken=taken):
                return _in_flight(brand, since) >= 3 and chaos.accepted_total() >= taken + 3

            if not _wait(sending, 60):
                continue
            notes.setdefault("in_flight_at_kill", []).append(_in_flight(brand, since))
            chaos.kill_worker()
            kills += 1
            time.sleep(1)
            chaos.start_worker()
            fault_over = time.monotonic()
        notes["kills"] = kills
    if name == "db_terminate":
        terminated = []
        for _round in range(3):
            _wait(lambda: _in_flight(brand) > 0, 30)
            terminated.append(_terminate_worker_connections(chaos.db_name))
            time.sleep(2)
        notes["connections_terminated"] = terminated
        fault_over = time.monotonic()
    drained = drain(brand_ids=[brand.pk], timeout=chaos.args.timeout, quiet_seconds=3, poll=0.5, sweep_every=(5.0, 2.0))
    recovery = round(time.monotonic() - fault_over, 1)
    if name.startswith(("brownout", "outage")):
        chaos.faults(fake, {})
    return _figures(
        name,
        brand,
        drained=drained,
        seconds=round(time.monotonic() - started, 1),
        recovery=recovery,
        sms_via=sms_via,
        notes=notes,
    )


def _figures(name, brand, *, drained, seconds, recovery, sms_via, notes) -> dict:
    from collections import Counter

    from django.db.models import Q

    from demo.report import pipeline_report
    from notifications.models import DeliveryAttempt

    report = pipeline_report(brand_ids=[brand.pk])
    attempts = DeliveryAttempt.objects.filter(delivery__notification__brand=brand)
    settled = Counter(
        f"{o}:{r}" if r else o
        for o, r in attempts.filter(resolution__in=["found", "receipt", "late_answer", "not_found"]).values_list(
            "outcome", "resolution"
        )
    )
    unknown = attempts.filter(Q(outcome="unknown") | ~Q(resolution="")).count()
    resent_after_wait = attempts.filter(resolution="not_found", provider="vonage").count()
    vonage = sms_via == "vonage"
    ok = (
        drained
        and report["lost"] == 0
        and (report["duplicates"] <= resent_after_wait if vonage else report["duplicates"] == 0)
    )
    return {
        "scenario": name,
        "sms_via": sms_via,
        "ok": ok,
        "drained": drained,
        "events": report["events"],
        "notifications": report["notifications"],
        "deliveries": report["deliveries"],
        "accepted_at_provider": report["accepted_at_provider"],
        "duplicates": report["duplicates"],
        "extra_copies": report["extra_copies"],
        "lost": report["lost"],
        "sent_not_at_provider": report["sent_not_at_provider"],
        "unmeasured_providers": report["unmeasured_providers"],
        "internal_duplicates": report["internal_duplicates"],
        "unknown_outcomes": unknown,
        "settled": dict(settled),
        "vonage_resent_after_receipt_wait": resent_after_wait if vonage else None,
        "seconds": seconds,
        "recovery_seconds": recovery,
        "latency_ms": report["latency_ms"],
        **notes,
    }


def main(argv=None) -> int:
    args = parse(argv)
    procs.install_cleanup()
    for sub in ("logs", "data"):
        shutil.rmtree(VAR / sub, ignore_errors=True)
        (VAR / sub).mkdir(parents=True, exist_ok=True)
    db_url = os.environ.get("CHAOS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waypost_chaos")
    ports = {k: free_port() for k in ("redis", "esp", "twilio", "vonage", "web")}
    redis_server = shutil.which("redis-server")
    broker_url = (
        f"redis://127.0.0.1:{ports['redis']}/0"
        if redis_server
        else os.environ.get("CHAOS_REDIS_URL", "redis://127.0.0.1:6379/10")
    )
    ca_path = str(VAR / "vonage-ca.pem")
    env = {**os.environ, **chaos_env(db_url=db_url, broker_url=broker_url, ports=ports, ca_path=ca_path)}
    os.environ.update({**env, "DATABASE_URL": _with_app(db_url, RUNNER_APP)})
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    print(f"chaos: {', '.join(args.scenarios)}; database {db_url}, broker {broker_url}", flush=True)
    create_database(db_url)
    results, failed = {"started_at": stamp, "settings": vars(args), "scenarios": []}, False
    try:
        chaos = Chaos(args, env, ports, ca_path)
        chaos.db_name = db_url.rsplit("/", 1)[1]
        if redis_server:
            chaos.start_broker()
        else:
            import redis

            redis.Redis.from_url(broker_url).flushdb()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        chaos.start_fakes()
        chaos.start_web()
        chaos.start_worker()
        results["machine"] = machine_info({**env, "BENCH_REDIS_URL": broker_url})
        for name in args.scenarios:
            if name == "broker_restart" and not redis_server:
                line = {"scenario": name, "skipped": "redis-server is not installed: no private broker to restart"}
            else:
                line = run_scenario(chaos, name)
                failed |= not line["ok"]
            results["scenarios"].append(line)
            print(json.dumps(line, default=str), flush=True)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"chaos-{stamp}.json"
        path.write_text(json.dumps(results, indent=1, default=str))
        print(f"chaos: wrote {path}", flush=True)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - cleanup must not mask the real error
            pass
        procs.stop_all()
        if not args.keep_db:
            drop_database(db_url)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
