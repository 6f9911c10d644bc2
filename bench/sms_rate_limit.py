"""Measure the shared SMS rate limit: two worker processes send as fast as they can through the
Vonage provider to a fake Vonage server and the script reports the measured rate against the
configured one. Not part of ``make test``.

    WAYPOST_DATA_DIR=/tmp/wp-bench .venv/bin/python bench/sms_rate_limit.py --rate 30 --sends 150
    REDIS_URL=redis://127.0.0.1:6379/0 ... (the Redis bucket; without it, the file bucket)
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def worker(netloc, ca_path, sends, rate, results):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.VONAGE_API_KEY, settings.VONAGE_API_SECRET = "bench", "bench"
    settings.VONAGE_REST_HOST = settings.VONAGE_API_HOST = netloc
    settings.VONAGE_CA_BUNDLE = ca_path
    settings.SMS_RATE_LIMITS = {"vonage": rate}
    from channels.base import OutboundMessage
    from channels.vonage import VonageProvider

    provider = VonageProvider(channel="sms")
    ok = 0
    for i in range(sends):
        result = provider.send(
            OutboundMessage(
                channel="sms", to="+33612345678", body_text=f"bench {i}", sender_id="BENCH", metadata={"delivery_id": i}
            ),
            idempotency_key=str(i),
        )
        ok += result.status == "accepted"
    results.put(ok)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--sends", type=int, default=150, help="per worker")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from tests.fakes.vonage import FakeVonage

    server = FakeVonage.create().start()
    results = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=worker, args=(server.netloc, server.ca_path, args.sends, args.rate, results))
        for _ in range(args.workers)
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    accepted = sum(results.get() for _ in procs)
    received = len(server.sent("/sms/json"))
    backend = "redis" if os.environ.get("REDIS_URL") else "file"
    print(
        json.dumps(
            {
                "workers": args.workers,
                "configured_rate": args.rate,
                "received": received,
                "accepted": accepted,
                "seconds": round(elapsed, 2),
                "measured_rate": round(received / elapsed, 1),
                "bucket": backend,
            }
        )
    )
    server.stop()


if __name__ == "__main__":
    main()
