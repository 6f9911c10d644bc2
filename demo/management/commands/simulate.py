"""``manage.py simulate``: drive a realistic scenario through the real pipeline (configured
database and broker, a Celery worker of its own unless told one runs), wait until it is idle,
and print one JSON line: events, notifications, deliveries, duplicates, lost, latency.

Its time compression and the sandbox's faults live only in this process and in the worker it
starts (their environment): nothing shared is changed, so a simulation killed half-way leaves
every other brand's pipeline as it was. An external worker (``--external-worker``) keeps its
own settings: start it with ``SIMULATION_TIME_SCALE`` (and ``SANDBOX_*``) to compress waits."""

import json
import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.test import override_settings

from catalogue.models import Rule
from demo.report import pipeline_report
from demo.simulation import Scenario, drain, start_worker, stop_worker
from notifications import waits


class Command(BaseCommand):
    help = "Simulate customers' orders through the real notification pipeline and report on it."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=50)
        parser.add_argument("--fail-rate", type=float, default=0.0, help="Share of sandbox sends that fail")
        parser.add_argument("--external-worker", action="store_true", help="A worker is already running")
        parser.add_argument("--concurrency", type=int, default=2, help="Processes of the worker this starts")
        parser.add_argument("--time-scale", type=float, default=0.01, help="Compress waits (0.01: 5 min -> 3 s)")
        parser.add_argument("--timeout", type=float, default=900, help="Seconds to wait for the pipeline to drain")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **opts):
        if not 0 <= opts["fail_rate"] < 1:
            raise CommandError("--fail-rate must be in [0, 1).")
        env = {"SIMULATION_TIME_SCALE": str(opts["time_scale"]), "SANDBOX_FAIL_RATE": str(opts["fail_rate"])}
        worker = None
        if not opts["external_worker"]:
            self._log(f"starting a Celery worker ({opts['concurrency']} processes)")
            worker = start_worker(concurrency=opts["concurrency"], env=env, die_with_parent=True)
        elif os.environ.get("SIMULATION_TIME_SCALE") is None:
            self._log("the external worker keeps its own time scale (start it with SIMULATION_TIME_SCALE)")
        before = waits.factor()
        waits.compress(opts["time_scale"])  # this process's sweeps, as beat's would be in the worker
        try:
            with override_settings(SANDBOX_FAIL_RATE=opts["fail_rate"]):
                report = self._run(opts)
        finally:
            waits.compress(before)
            if worker:
                stop_worker(worker)
        self.stdout.write(json.dumps(report, default=str))
        if not report["drained"] or report["lost"] or report["duplicates"]:
            raise SystemExit(1)

    def _run(self, opts) -> dict:
        started = time.monotonic()
        # Space the journey's steps past the (compressed) coalescing windows, as real scans are.
        longest = Rule.objects.aggregate(m=Max("coalesce_seconds"))["m"] or 0
        pause = longest * opts["time_scale"] + 0.5
        brand = Scenario(orders=opts["orders"], seed=opts["seed"], log=self._log, step_pause=pause).run()
        self._log(f"scenario placed in {time.monotonic() - started:.1f}s; waiting for the pipeline to drain")
        drained = drain(brand_ids=[brand.pk], timeout=opts["timeout"])
        report = pipeline_report(brand_ids=[brand.pk])
        report.update(
            {
                "orders": opts["orders"],
                "fail_rate": opts["fail_rate"],
                "drained": drained,
                "seconds": round(time.monotonic() - started, 1),
                "brand": brand.slug,
                "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                "broker": settings.CELERY_BROKER_URL.split(":", 1)[0],
            }
        )
        return report

    def _log(self, text):
        self.stderr.write(f"[simulate] {text}")
