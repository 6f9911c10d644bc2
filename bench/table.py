"""Print a results JSON as the README's markdown table: ``python -m bench.table bench/results/bench-<stamp>.json``."""

import json
import sys
from pathlib import Path


def table(data: dict) -> str:
    sc, s = data["scenarios"], data.get("summary", {})
    rows = []
    add = lambda *r: rows.append("| " + " | ".join(str(x) for x in r) + " |")  # noqa: E731
    add("figure", "value", "target", "met?")
    add("---", "---", "---", "---")
    if "throughput" in sc:
        t = sc["throughput"]
        add(
            f"throughput, {t['events']} events x email+SMS",
            f"{t['deliveries_per_s']} deliveries/s "
            f"({t['deliveries_accepted']} in {t['seconds_first_commit_to_last_acceptance']} s)",
            "",
            "",
        )
    e = sc.get("email_only")
    if e:
        add(f"email only, {e['events']} events", f"{e['deliveries_per_s']} emails/s", "", "")
    if "postoffice" in sc:
        p = sc["postoffice"]
        add(f"django-post-office {p['version']}, {p['emails']} emails", f"{p['emails_per_s']} emails/s", "", "")
        r = s.get("ratio_to_postoffice")
        add("Waypost / post-office", r, ">= 2", "yes" if r and r >= 2 else f"no ({r and round(r / 2 * 100)}% of it)")
    if "floor" in sc:
        f = sc["floor"]
        add(
            f"floor, {f['messages']} messages, concurrency {f['concurrency']}",
            f"{f['messages_per_s']} messages/s",
            "",
            "",
        )
        r = s.get("ratio_to_floor")
        add("Waypost / floor", r, ">= 0.5", "yes" if r and r >= 0.5 else f"no ({r and round(r / 0.5 * 100)}% of it)")
    for rate, load in (sc.get("latency") or {}).items():
        lat = load["latency_ms_per_delivery"]
        ok = lat["p99"] is not None and lat["p99"] < 1000
        add(
            f"latency at {rate} events/s offered ({load['achieved_events_per_s']} achieved, {load['duration_s']} s)",
            f"p50 {lat['p50']} / p95 {lat['p95']} / p99 {lat['p99']} ms; max backlog {load['max_backlog']['pending_deliveries']} deliveries",
            "p99 < 1000 ms" if rate == "200" else "",
            ("yes" if ok else f"no (x{round(lat['p99'] / 1000, 1)})") if rate == "200" else "",
        )
    if "spike" in sc:
        sp = sc["spike"]
        rss = sp["worker_rss"]
        growth = max((v["growth_pct"] for v in rss.values()), default=None)
        add(
            f"spike, {sp['events']} events at once",
            f"drained in {sp['seconds_first_commit_to_last_acceptance']} s "
            f"({sp['deliveries_per_s']} deliveries/s); lost {sp['lost']}, duplicates {sp['duplicates']}",
            "lost 0, duplicates 0",
            "yes" if sp["lost"] == 0 and sp["duplicates"] == 0 else "no",
        )
        add(
            "spike: worker RSS (per process, start -> peak -> end)",
            "; ".join(
                f"{k.split(':')[0]} {v['start_kb'] // 1024}->{v['peak_kb'] // 1024}->{v['end_kb'] // 1024} MB"
                for k, v in rss.items()
            ),
            "flat",
            f"max growth {growth}%",
        )
    if "growth" in sc:
        g = sc["growth"]
        for size, r in g["runs"].items():
            add(
                f"growth {size} events ({r['from']})",
                f"{r['queries_per_delivery']} queries, "
                f"{r['worker_cpu_ms_per_delivery']} worker CPU ms per delivery; {r['deliveries_per_s']} deliveries/s",
                "",
                "",
            )
        q, c = g["queries_per_delivery_spread_pct"], g["cpu_per_delivery_spread_pct"]
        add(
            "growth: spread of cost per delivery",
            f"queries {q}%, CPU {c}%",
            "<= 20%",
            "yes"
            if q is not None and q <= 20 and c is not None and c <= 20
            else f"queries {'yes' if q is not None and q <= 20 else 'no'}, CPU {'yes' if c is not None and c <= 20 else 'no'}",
        )
    if "intake" in sc:
        i = sc["intake"]
        for kind in ("orders", "shipment_events"):
            k = i[kind]
            add(
                f"intake: {kind.replace('_', ' ')} (gunicorn {i['gunicorn_workers']} workers, {i['client_threads']} clients)",
                f"{k['per_s']} posts/s, p99 {k['p99_ms']} ms ({k['ok']}/{k['requests']} 2xx)",
                "",
                "",
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(json.loads(Path(sys.argv[1]).read_text())))
