"""The scenarios: throughput (a burst, email + SMS), email_only (the same burst, email only: the
figure compared with the peers), latency (fixed offered loads), spike (a large burst: drain time,
worker memory, lost and duplicates), growth (cost per delivery at several sizes) and intake (the
partner API through gunicorn). ``run_all`` runs the chosen ones and the comparisons and writes
the summary table."""

import datetime as dt
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from django.db.models import Max

from bench import fixtures, procs, profile_summary

VAR = Path(__file__).resolve().parent.parent / "var" / "bench"


def _beat_periods() -> tuple[float, float]:
    """The sweepers' beat periods (``SWEEP_EVENTS_EVERY``, ``DISPATCH_DUE_EVERY``): the runner
    sweeps as often as beat would, not on every poll."""
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    return (float(schedule["sweep-events"]["schedule"]), float(schedule["dispatch-due"]["schedule"]))


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))], 1)


def cost_snapshot(bench) -> dict:
    import redis

    raw = redis.Redis.from_url(bench.env["BENCH_REDIS_URL"]).hgetall("bench:cost")
    counts = {k.decode(): int(v) for k, v in raw.items()}
    return {"counts": counts, "cpu": bench.worker_cpu(), "at": time.time()}


def cost_delta(before, after, deliveries: int) -> dict:
    diff = {k: after["counts"].get(k, 0) - before["counts"].get(k, 0) for k in after["counts"]}
    queries = sum(v for k, v in diff.items() if k.startswith("queries:"))
    tasks = {k.split(":", 1)[1]: v for k, v in diff.items() if k.startswith("tasks:") and v}
    per_task = {name: round(diff.get(f"queries:{name}", 0) / n, 1) for name, n in tasks.items()}
    cpu = after["cpu"] - before["cpu"]
    d = max(1, deliveries)
    return {
        "queries_per_delivery": round(queries / d, 2),
        "worker_cpu_ms_per_delivery": round(cpu * 1000 / d, 2),
        "worker_cpu_seconds": round(cpu, 1),
        "tasks": tasks,
        "queries_per_task": per_task,
    }


def accepted_attempts(brand_ids):
    from notifications.models import DeliveryAttempt

    return DeliveryAttempt.objects.filter(outcome="accepted", delivery__notification__brand_id__in=brand_ids)


def delivery_latencies_ms(brand_ids) -> list[float]:
    rows = accepted_attempts(brand_ids).values_list(
        "finished_at", "delivery__notification__event__created_at", "delivery__channel"
    )
    return [((f - c).total_seconds() * 1000, ch) for f, c, ch in rows if f and c]


def per_second(brand_ids, origin: dt.datetime) -> list[int]:
    rows = accepted_attempts(brand_ids).values_list("finished_at", flat=True)
    series: dict[int, int] = {}
    for finished in rows:
        sec = int((finished - origin).total_seconds())
        series[sec] = series.get(sec, 0) + 1
    return [series.get(i, 0) for i in range(max(series) + 1)] if series else []


def rss_summary(bench, label) -> dict:
    """Per worker process: RSS when the scenario started, its peak and at the end (kB), from the 1 s samples."""
    rows = [s for s in bench.samples if s.get("scenario") == label and "rss_kb" in s]
    out = {}
    for row in rows:
        for worker, pids in row["rss_kb"].items():
            for pid, kb in pids.items():
                if not kb:
                    continue
                entry = out.setdefault(f"{worker}:{pid}", {"start_kb": kb, "peak_kb": kb, "end_kb": kb})
                entry["peak_kb"] = max(entry["peak_kb"], kb)
                entry["end_kb"] = kb
    for key, entry in out.items():
        entry["peak_hwm_kb"] = procs.status_kb(int(key.split(":")[1]), "VmHWM")
        entry["growth_pct"] = round((entry["end_kb"] - entry["start_kb"]) * 100 / entry["start_kb"], 1)
    return out


class Profiler:
    """py-spy (from the tools venv) on each worker process tree (or on ``targets``: name and pid)
    while a scenario runs; ``keep`` marks the samples that count (``profile_summary``)."""

    def __init__(self, bench, label, targets=None, keep=None):
        self.bench, self.label, self.procs = bench, label, []
        self.targets = targets or [(w["name"], w["proc"].pid) for w in bench.workers]
        self.keep = keep or profile_summary.TASKS

    def __enter__(self):
        from bench.chart import tools_python

        py_spy = Path(tools_python()).parent / "py-spy"
        for name, pid in self.targets:
            out = VAR / f"profile-{self.label}-{name}.txt"
            out.unlink(missing_ok=True)
            self.procs.append(
                (
                    procs.spawn(
                        [
                            str(py_spy),
                            "record",
                            "--pid",
                            str(pid),
                            "--subprocesses",
                            "--format",
                            "raw",
                            "--rate",
                            "97",
                            "--nonblocking",
                            "-o",
                            str(out),
                        ],
                        log=VAR / "logs" / "py-spy.log",
                    ),
                    out,
                )
            )
        time.sleep(1)
        return self

    def __exit__(self, *exc):
        for proc, out in self.procs:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except Exception:  # noqa: BLE001
                procs.stop(proc)
            if out.exists():
                profile_summary.summarise(out, out.with_suffix(".top.txt"), keep=self.keep)


def burst(bench, label: str, n: int, *, sms: bool = True, profile: bool = False) -> dict:
    """Commit ``n`` shipment.delivered events as fast as possible; deliveries/s from the first
    commit to the last provider acceptance, cost per delivery, lost and duplicates."""
    from demo.report import pipeline_report
    from demo.simulation import drain

    brand, channel = fixtures.make_brand(label)
    t = time.monotonic()
    rows = fixtures.make_shipments(brand, channel, n, sms=sms)
    setup_s = time.monotonic() - t
    bench.label, bench.brand_ids = label, [brand.pk]
    before = cost_snapshot(bench)
    with Profiler(bench, label) if profile else nullcontext():
        t = time.monotonic()
        first = fixtures.publish_burst(brand, rows)
        publish_s = time.monotonic() - t
        drained = drain(brand_ids=[brand.pk], sweep_every=_beat_periods(), timeout=max(300, n / 10), quiet_seconds=1.0)
        drain_wall_s = time.monotonic() - t
        settle_s = bench.wait_queues_empty()  # the burst's leftover messages are its cost
    after = cost_snapshot(bench)
    report = pipeline_report(brand_ids=[brand.pk])
    last = accepted_attempts([brand.pk]).aggregate(m=Max("finished_at"))["m"]
    accepted = report["attempts"]
    seconds = (last - first).total_seconds() if last else None
    lat = delivery_latencies_ms([brand.pk])
    ms = [x for x, _ in lat]
    result = {
        "events": n,
        "channels": "email+sms" if sms else "email",
        "drained": drained,
        "deliveries_accepted": accepted,
        "seconds_first_commit_to_last_acceptance": round(seconds, 2) if seconds else None,
        "deliveries_per_s": round(accepted / seconds, 1) if seconds else None,
        "events_per_s": round(n / seconds, 1) if seconds else None,
        "publish_seconds": round(publish_s, 2),
        "drain_wall_seconds": round(drain_wall_s, 2),
        "queues_empty_after_seconds": settle_s,
        "setup_seconds": round(setup_s, 1),
        "lost": report["lost"],
        "duplicates": report["duplicates"],
        "deliveries_by_status": report["deliveries"],
        "notifications_by_status": report["notifications_by_status"],
        "latency_ms_per_delivery": {"p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99), "max": pct(ms, 100)},
        "cost": cost_delta(before, after, accepted),
        "accepted_per_second": per_second([brand.pk], first),
        "brand_id": brand.pk,
    }
    print(
        f"bench: {label}: {accepted} deliveries in {result['seconds_first_commit_to_last_acceptance']} s = "
        f"{result['deliveries_per_s']}/s; lost {report['lost']}, duplicates {report['duplicates']}; "
        f"{result['cost']['queries_per_delivery']} queries and {result['cost']['worker_cpu_ms_per_delivery']} "
        f"worker CPU ms per delivery",
        flush=True,
    )
    return result


def latency(bench, rate: float, duration: float, *, profile: bool = False) -> dict:
    from demo.report import pipeline_report
    from demo.simulation import drain

    label = f"latency-{int(rate)}"
    brand, channel = fixtures.make_brand(label)
    rows = fixtures.make_shipments(brand, channel, int(rate * duration) + 1)
    bench.label, bench.brand_ids = label, [brand.pk]
    with Profiler(bench, label) if profile else nullcontext():
        start = time.monotonic()
        sent = 0
        while (elapsed := time.monotonic() - start) < duration and sent < len(rows):
            due = min(len(rows), int(rate * elapsed) + 1) - sent
            if due > 0:
                fixtures.publish([fixtures.delivered_event(brand, r) for r in rows[sent : sent + due]])
                sent += due
            time.sleep(0.005)
        offered_s = time.monotonic() - start
        drained = drain(
            brand_ids=[brand.pk], sweep_every=_beat_periods(), timeout=max(300, duration * 5), quiet_seconds=1.0
        )
        tail_s = time.monotonic() - start - offered_s
        bench.wait_queues_empty()  # before the next scenario
    report = pipeline_report(brand_ids=[brand.pk])
    lat = delivery_latencies_ms([brand.pk])
    ms = [x for x, _ in lat]
    by_channel = {ch: [x for x, c in lat if c == ch] for ch in ("email", "sms")}
    depth = [
        {
            "t": s["t"],
            **s.get("llen", {}),
            "unprocessed_events": s.get("unprocessed_events"),
            "pending_deliveries": s.get("pending_deliveries"),
        }
        for s in bench.samples
        if s.get("scenario") == label
    ]
    result = {
        "offered_events_per_s": rate,
        "achieved_events_per_s": round(sent / offered_s, 1),
        "events": sent,
        "duration_s": duration,
        "drained": drained,
        "seconds_to_drain_after_load": round(tail_s, 1),
        "latency_ms_per_delivery": {
            "p50": pct(ms, 50),
            "p95": pct(ms, 95),
            "p99": pct(ms, 99),
            "max": pct(ms, 100),
            "count": len(ms),
        },
        "latency_ms_per_channel": {
            ch: {"p50": pct(v, 50), "p95": pct(v, 95), "p99": pct(v, 99)} for ch, v in by_channel.items()
        },
        "latency_ms_first_per_notification": report["latency_ms"],
        "lost": report["lost"],
        "duplicates": report["duplicates"],
        "max_backlog": {
            "pending_deliveries": max((d["pending_deliveries"] or 0 for d in depth), default=0),
            "unprocessed_events": max((d["unprocessed_events"] or 0 for d in depth), default=0),
        },
        "queue_depth": depth,
        "latencies_sample_ms": [round(x, 1) for x in ms[:: max(1, len(ms) // 5000)]],
    }
    print(
        f"bench: {label}: achieved {result['achieved_events_per_s']} events/s; p50/p95/p99 "
        f"{result['latency_ms_per_delivery']['p50']}/{result['latency_ms_per_delivery']['p95']}/"
        f"{result['latency_ms_per_delivery']['p99']} ms; drained {tail_s:.1f} s after the load",
        flush=True,
    )
    return result


def intake(bench) -> dict:
    """Partner API posts (orders, then shipment events) through gunicorn, from client threads."""
    import requests

    from partners.models import Partner

    args = bench.args
    label = "intake"
    brand, channel = fixtures.make_brand(label)
    rows = fixtures.make_shipments(brand, channel, args.intake_requests)
    partner = Partner(name=f"bench-{channel.slug}")
    token = partner.set_new_token()
    partner.save()
    partner.sales_channels.set([channel])
    bench.label, bench.brand_ids = label, [brand.pk]
    port = bench_free_port()
    workers = 2 * (os.cpu_count() or 1) + 1
    g = procs.start_gunicorn(
        port=port, env=bench.env, log=VAR / "logs" / "gunicorn.log", cwd=VAR.parent.parent, workers=workers
    )
    base = f"http://127.0.0.1:{port}"
    local = threading.local()

    def session():
        if not hasattr(local, "s"):
            local.s = requests.Session()
            local.s.headers["Authorization"] = f"Bearer {token}"
        return local.s

    def run(kind, bodies):
        timings, codes = [], {}
        stop_at = time.monotonic() + args.intake_seconds

        def post(item):
            url, body = item
            if time.monotonic() > stop_at:
                return None
            t = time.perf_counter()
            r = session().post(url, json=body, timeout=30)
            return (time.perf_counter() - t) * 1000, r.status_code

        t0 = time.monotonic()
        with ThreadPoolExecutor(args.intake_clients) as pool:
            for res in pool.map(post, bodies):
                if res:
                    timings.append(res[0])
                    codes[res[1]] = codes.get(res[1], 0) + 1
        elapsed = time.monotonic() - t0
        ok = sum(v for k, v in codes.items() if 200 <= k < 300)
        out = {
            "requests": len(timings),
            "ok": ok,
            "status_codes": {str(k): v for k, v in codes.items()},
            "seconds": round(elapsed, 2),
            "per_s": round(len(timings) / elapsed, 1),
            "p50_ms": pct(timings, 50),
            "p95_ms": pct(timings, 95),
            "p99_ms": pct(timings, 99),
        }
        print(
            f"bench: intake {kind}: {out['per_s']}/s, p99 {out['p99_ms']} ms, codes {out['status_codes']}", flush=True
        )
        return out

    try:
        stamp = int(time.time())
        orders = [
            (
                f"{base}/api/v1/orders/",
                {
                    "sales_channel": channel.slug,
                    "external_id": f"API-{stamp}-{i}",
                    "currency": "GBP",
                    "customer": {
                        "external_id": f"api-{stamp}-{i}",
                        "name": "Api Customer",
                        "email": f"api{i}-{stamp}@bench.example",
                        "language": "en",
                        "time_zone": "Europe/London",
                        "country": "GB",
                    },
                    "lines": [{"sku": "TR-42-BLK", "name": "Trail runner", "quantity": 1, "unit_price": "49.00"}],
                },
            )
            for i in range(args.intake_requests)
        ]
        now = dt.datetime.now(dt.UTC).isoformat()
        events = [
            (
                f"{base}/api/v1/shipments/{r['shipment'].pk}/events/",
                {"status": "delivered", "occurred_at": now, "carrier_code": "DLV", "description": "Delivered"},
            )
            for r in rows
        ]
        with (
            Profiler(bench, label, targets=[("gunicorn", g.pid)], keep=profile_summary.REQUESTS)
            if args.profile
            else nullcontext()
        ):
            result = {
                "gunicorn_workers": workers,
                "client_threads": args.intake_clients,
                "orders": run("orders", orders),
                "shipment_events": run("shipment events", events),
            }
    finally:
        procs.stop(g)
    from demo.simulation import drain

    result["pipeline_drained_after"] = drain(
        brand_ids=[brand.pk], sweep_every=_beat_periods(), timeout=300, quiet_seconds=1.0
    )
    return result


def bench_free_port():
    from bench.run import free_port

    return free_port()


def growth(bench, results, sizes) -> dict:
    runs = {}
    sc = results["scenarios"]
    for size in sizes:
        if sc.get("throughput", {}).get("events") == size:
            runs[size] = {**_cost_row(sc["throughput"]), "from": "throughput"}
        elif sc.get("spike", {}).get("events") == size:
            runs[size] = {**_cost_row(sc["spike"]), "from": "spike"}
        else:
            r = burst(bench, f"growth-{size}", size)
            runs[size] = {**_cost_row(r), "from": "growth run"}
    q = [r["queries_per_delivery"] for r in runs.values()]
    c = [r["worker_cpu_ms_per_delivery"] for r in runs.values()]
    return {
        "runs": {str(k): v for k, v in runs.items()},
        "queries_per_delivery_spread_pct": round((max(q) / min(q) - 1) * 100, 1) if q and min(q) else None,
        "cpu_per_delivery_spread_pct": round((max(c) / min(c) - 1) * 100, 1) if c and min(c) else None,
    }


def _cost_row(r) -> dict:
    return {
        "events": r["events"],
        "deliveries_per_s": r["deliveries_per_s"],
        "queries_per_delivery": r["cost"]["queries_per_delivery"],
        "worker_cpu_ms_per_delivery": r["cost"]["worker_cpu_ms_per_delivery"],
    }


def run_all(bench, results) -> None:
    from bench import peers

    args, sc = bench.args, results["scenarios"]
    chosen = args.scenarios
    # Warm-up (not a result): each worker process imports the SDKs and opens its provider and
    # database connections, which would otherwise land on the first scenario's latencies.
    results["warmup"] = {k: v for k, v in burst(bench, "warmup", 40).items() if k != "accepted_per_second"}
    if "throughput" in chosen:
        sc["throughput"] = burst(bench, "throughput", args.throughput_events)
    if "email_only" in chosen:
        sc["email_only"] = burst(bench, "email_only", args.throughput_events, sms=False, profile=args.profile)
    if "latency" in chosen:
        sc["latency"] = {
            str(int(float(r))): latency(bench, float(r), args.duration, profile=args.profile)
            for r in args.rates.split(",")
        }
    if "spike" in chosen:
        sc["spike"] = burst(bench, "spike", args.spike_events)
        sc["spike"]["worker_rss"] = rss_summary(bench, "spike")
    if "growth" in chosen:
        sc["growth"] = growth(bench, results, [int(s) for s in args.growth_sizes.split(",")])
    if "intake" in chosen:
        sc["intake"] = intake(bench)
    bench.label, bench.brand_ids = "peers", []
    # Provider calls Waypost's email workers make at once: processes x send threads each.
    concurrency = sum(w["concurrency"] for w in bench.workers if "email" in w["queues"]) * max(1, args.send_threads)
    if "postoffice" in chosen:
        sc["postoffice"] = peers.postoffice(bench, args.throughput_events, concurrency)
    if "floor" in chosen:
        sc["floor"] = peers.floor(bench, args.throughput_events, concurrency)
    results["summary"] = summarise(sc, bench)


def summarise(sc, bench) -> dict:
    s = {}
    email = (sc.get("email_only") or {}).get("deliveries_per_s")
    if "throughput" in sc:
        s["throughput_deliveries_per_s"] = sc["throughput"]["deliveries_per_s"]
    if email:
        s["email_only_per_s"] = email
    if email and sc.get("postoffice", {}).get("emails_per_s"):
        s["ratio_to_postoffice"] = round(email / sc["postoffice"]["emails_per_s"], 2)
        s["postoffice_emails_per_s"] = sc["postoffice"]["emails_per_s"]
    if email and sc.get("floor", {}).get("messages_per_s"):
        s["ratio_to_floor"] = round(email / sc["floor"]["messages_per_s"], 2)
        s["floor_messages_per_s"] = sc["floor"]["messages_per_s"]
    for rate, r in (sc.get("latency") or {}).items():
        s[f"latency_{rate}_p50_p95_p99_ms"] = [r["latency_ms_per_delivery"][k] for k in ("p50", "p95", "p99")]
        s[f"latency_{rate}_achieved_events_per_s"] = r["achieved_events_per_s"]
    if "spike" in sc:
        sp = sc["spike"]
        s["spike_seconds_to_drain"] = sp["seconds_first_commit_to_last_acceptance"]
        s["spike_lost"], s["spike_duplicates"] = sp["lost"], sp["duplicates"]
        s["spike_worker_rss_growth_pct_max"] = max((v["growth_pct"] for v in sp["worker_rss"].values()), default=None)
        s["spike_worker_peak_rss_mb_max"] = round(
            max((v["peak_kb"] for v in sp["worker_rss"].values()), default=0) / 1024, 1
        )
    if "growth" in sc:
        s["growth_queries_per_delivery_spread_pct"] = sc["growth"]["queries_per_delivery_spread_pct"]
        s["growth_cpu_per_delivery_spread_pct"] = sc["growth"]["cpu_per_delivery_spread_pct"]
    if "intake" in sc:
        for kind in ("orders", "shipment_events"):
            s[f"intake_{kind}_per_s"] = sc["intake"][kind]["per_s"]
            s[f"intake_{kind}_p99_ms"] = sc["intake"][kind]["p99_ms"]
    return s
