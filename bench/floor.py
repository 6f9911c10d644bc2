"""The floor: the least work the job requires. ``--concurrency`` processes, each with one database
connection and one ``requests`` session (anymail's client library), do per message one INSERT
(its own commit) and one POST of a Postmark send to the ESP. Prints messages per second as JSON.

    python -m bench.floor --database-url postgres://... --esp-url http://127.0.0.1:PORT --messages 10000
"""

import argparse
import json
import multiprocessing
import time


def _worker(args, start, count, results):
    import psycopg
    import requests

    session = requests.Session()
    headers = {"X-Postmark-Server-Token": "bench-token", "Accept": "application/json"}
    ok = 0
    with psycopg.connect(args.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        for i in range(start, start + count):
            conn.execute(
                "INSERT INTO bench_floor_message (recipient, subject, body) VALUES (%s, %s, %s)",
                (f"c{i}@floor.example", f"Your order B-{i} was delivered", f"Hi Customer {i}, ..."),
            )
            r = session.post(
                f"{args.esp_url}/email",
                headers=headers,
                timeout=15,
                json={
                    "From": "Bench Outfitters <orders@bench.example>",
                    "To": f"c{i}@floor.example",
                    "Subject": f"Your order B-{i} was delivered",
                    "TextBody": f"Hi Customer {i}, your order was delivered.",
                    "HtmlBody": f"<p>Hi Customer {i}, your order was delivered.</p>",
                },
            )
            ok += r.status_code == 200 and r.json().get("ErrorCode") == 0
    results.put(ok)


def main(argv=None):
    import psycopg

    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--esp-url", required=True)
    p.add_argument("--messages", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, default=4)
    args = p.parse_args(argv)
    with psycopg.connect(args.database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_message")
        conn.execute(
            "CREATE TABLE bench_floor_message (id bigserial PRIMARY KEY, recipient text, subject text, "
            "body text, created_at timestamptz DEFAULT now())"
        )
    results = multiprocessing.Queue()
    share = [
        args.messages // args.concurrency + (i < args.messages % args.concurrency) for i in range(args.concurrency)
    ]
    starts = [sum(share[:i]) for i in range(args.concurrency)]
    workers = [
        multiprocessing.Process(target=_worker, args=(args, starts[i], share[i], results))
        for i in range(args.concurrency)
    ]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    ok = sum(results.get() for _ in workers)
    for w in workers:
        w.join()
    seconds = time.monotonic() - t0
    print(
        json.dumps(
            {
                "messages": args.messages,
                "accepted": ok,
                "concurrency": args.concurrency,
                "seconds": round(seconds, 2),
                "messages_per_s": round(args.messages / seconds, 1),
                "work": "one INSERT (autocommit) + one POST (requests.Session) per message",
            }
        )
    )


if __name__ == "__main__":
    main()
