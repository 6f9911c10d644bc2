"""End to end with the broker away: partner posts answer 2xx while the broker (and the cache, the
same Redis) is down, and the sweepers get every event processed once it is back; a supervised
worker keeps processing across several restarts of its Redis during a burst.

The web app (gunicorn), the worker and beat run as processes against a redis-server of the
test's own, which keeps nothing across a restart."""

import re
import threading
import time

import pytest
import requests

from demo.report import pipeline_report
from notifications.models import Event
from notifications.selectors import pipeline_busy
from partners.models import Partner
from tests.e2e.conftest import Worker
from tests.e2e.stack import Partner as PartnerClient
from tests.e2e.stack import beat, web
from tests.factories import SalesChannelFactory
from tests.redis_server import REDIS_SERVER, RedisServer, free_port, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary"),
]

METRICS_TOKEN = "broker-outage-metrics"
# Events one journey writes: the order placed, shipped and delivered; the shipment's label
# created, in transit and delivered.
EVENTS_PER_JOURNEY = 6


@pytest.fixture
def stack(e2e_lock, knobs, worker_env, tmp_path):
    """A private Redis (not started), the environment of processes using it as broker and cache,
    and whatever the test starts, stopped at the end (before the database is flushed)."""
    server = RedisServer(port=free_port(), log_dir=tmp_path)
    env = {
        **worker_env,
        **knobs.as_env(),
        "CELERY_BROKER_URL": server.url(0),
        "CACHE_URL": server.url(1, scheme="rediscache"),
        "QUIET_HOURS_DEFAULT": "",
        "METRICS_TOKEN": METRICS_TOKEN,
        "SWEEP_EVENTS_EVERY": "1",
        "DISPATCH_DUE_EVERY": "1",
        "SWEEP_INTAKE_EVERY": "5",
    }
    started = []

    class Stack:
        redis, log_dir = server, tmp_path

        def web(self):
            started.append(web(port=free_port(), env=env, log_dir=tmp_path))
            return started[-1]

        def worker(self, *, supervised: bool = False):
            running = Worker(log_dir=tmp_path, env=env, supervised=supervised).start()
            started.append(running)
            return running

        def beat(self):
            started.append(beat(env=env, log_dir=tmp_path))
            return started[-1]

    yield Stack()
    for process in reversed(started):
        process.stop()
    server.stop()
    for process in started:
        if isinstance(process, Worker):
            print(process.log_tail())  # shown by pytest when the test failed


def _partner(base_url: str, prefix: str) -> tuple[PartnerClient, object]:
    """A partner of a new sales channel (and brand) posting to ``base_url``, and the brand."""
    channel = SalesChannelFactory(slug=f"{prefix}-web")
    partner = Partner(name=f"partner-{prefix}")
    token = partner.set_new_token()
    partner.save()
    partner.sales_channels.set([channel])
    client = PartnerClient(base_url=base_url, token=token, channel=channel.slug, prefix=prefix)
    return client, channel.brand


def _settled(brand, *, timeout: float) -> bool:
    """Idle (no unprocessed event, no pending or in-flight delivery) for a second in a row."""
    quiet = []

    def idle() -> bool:
        if pipeline_busy(brand_ids=[brand.pk]):
            quiet.clear()
            return False
        quiet.append(True)
        return len(quiet) >= 5

    return wait_until(idle, timeout=timeout, poll=0.2)


def _publish_failures(base_url: str) -> int:
    """``waypost_broker_publish_failures_total`` on ``/metrics``, summed over its tasks."""
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    text = requests.get(f"{base_url}/metrics", headers=auth, timeout=10).text
    samples = re.findall(r"^waypost_broker_publish_failures_total\{.*\} (\d+)$", text, re.MULTILINE)
    return sum(int(n) for n in samples)


def test_partner_posts_answer_while_the_broker_is_down_and_sweepers_process_every_event_after(
    stack,
):
    # given the web app whose broker and cache (one Redis) are not running
    site = stack.web()
    partner, brand = _partner(site.url, "outage")

    # when a partner posts 6 journeys from 3 threads (orders with an Idempotency-Key, shipments,
    # an in-transit and a delivered scan each), and repeats one order with its key
    partner.journeys(range(6), threads=3)
    repeat = partner.post("/api/v1/orders/", partner.order(0), key="outage-order-0")

    # then every post answered 2xx, each within a few seconds, and the repeat replayed the first
    statuses = [a.status for a in partner.answers]
    assert len(statuses) == 6 * PartnerClient.JOURNEY_POSTS + 1
    assert all(200 <= s < 300 for s in statuses), statuses
    seconds = sorted(a.seconds for a in partner.answers)
    assert seconds[-1] < 5, seconds[-5:]
    assert (repeat.status_code, repeat.headers.get("Idempotent-Replayed")) == (201, "true")
    # and every event was stored, none processed yet, and nothing raised in the web app
    assert Event.objects.filter(brand=brand).count() == 6 * EVENTS_PER_JOURNEY
    assert not Event.objects.filter(brand=brand, processed_at__isnull=False).exists()
    web_log = site.log()
    assert "Traceback" not in web_log and "Internal Server Error" not in web_log, web_log[-3000:]
    assert "broker did not take" in web_log
    # and /metrics counts one refused message per write (each commit publishes once)
    assert _publish_failures(site.url) == 6 * PartnerClient.JOURNEY_POSTS

    # when the broker comes back, with a worker and beat's sweepers
    stack.redis.start()
    stack.worker()
    stack.beat()

    # then every event gets processed, and nothing is lost or sent twice
    assert _settled(brand, timeout=90), pipeline_report(brand_ids=[brand.pk])
    assert not Event.objects.filter(brand=brand, processed_at__isnull=True).exists()
    report = pipeline_report(brand_ids=[brand.pk])
    assert report["events"] == 6 * EVENTS_PER_JOURNEY
    assert (report["lost"], report["duplicates"]) == (0, 0), report
    assert report["notifications"] > 0, report


def test_a_supervised_worker_keeps_processing_across_broker_restarts_during_a_burst(stack):
    # given a supervised worker, beat and the web app on a running Redis
    stack.redis.start()
    site = stack.web()
    worker = stack.worker(supervised=True)
    stack.beat()
    partner, brand = _partner(site.url, "restarts")

    # when a burst of 16 journeys is posted while the Redis is restarted three times
    burst = threading.Thread(target=partner.journeys, args=(range(16),), kwargs={"threads": 2})
    burst.start()
    for _ in range(3):
        time.sleep(2.0)
        stack.redis.stop()
        time.sleep(1.0)
        stack.redis.start()
    burst.join()

    # then every post answered 2xx
    statuses = [a.status for a in partner.answers]
    assert len(statuses) == 16 * PartnerClient.JOURNEY_POSTS
    assert all(200 <= s < 300 for s in statuses), statuses
    # and every event got processed, nothing lost or sent twice
    assert _settled(brand, timeout=100), pipeline_report(brand_ids=[brand.pk])
    report = pipeline_report(brand_ids=[brand.pk])
    assert report["events"] == 16 * EVENTS_PER_JOURNEY
    assert (report["lost"], report["duplicates"]) == (0, 0), report
    # and the restarts reached the worker, which reconnected without exiting
    log = worker.log_tail(lines=100000)
    assert log.count("Connection to broker lost") >= 1, log[-3000:]
    assert "Unrecoverable error" not in log, log[-5000:]
    assert worker.process.poll() is None
