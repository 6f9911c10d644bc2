"""(Order intake, issue 7.) A seasonal spike: a burst of signed Shopify webhooks is all stored (202 each) and all processed
exactly once by a real Celery worker, even though the worker is killed mid-way (its in-flight
messages are lost; the intake sweeper re-queues what was left unprocessed).

5,000 posts on PostgreSQL; 1,000 on SQLite, whose single writer makes 5,000 take too long
(``INTAKE_BURST_SIZE`` overrides)."""

import os
import time

import pytest
from django.db import connection
from django.db.models import Count

from core.models import AuditLog
from intake.models import IntakeRecord
from intake.tasks import sweep_intake
from notifications.models import Event
from orders.models import Order
from tests.e2e.conftest import Worker, purge_broker
from tests.intake.conftest import SECRET, brand, catalogue, channel_of, post_shopify  # noqa: F401 (fixtures)
from tests.intake.samples import body_of, shopify_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def burst_size() -> int:
    default = 5000 if connection.vendor == "postgresql" else 1000
    return int(os.environ.get("INTAKE_BURST_SIZE", default))


def test_a_burst_of_webhooks_is_stored_and_processed_exactly_once_with_a_worker_killed(
    e2e_lock,
    knobs,
    worker_env,
    channel_of,  # noqa: F811 (the intake tests' fixtures, imported above)
    catalogue,  # noqa: F811
    post_shopify,  # noqa: F811
    settings,
    tmp_path,
):
    n = burst_size()
    shop = channel_of("shopify")
    # The worker takes the intake queue only (the order events it writes wait for the pipeline's
    # own workers), and the sweeper re-queues after 15 s instead of 30.
    settings.WAYPOST_QUEUES = "celery"
    settings.INTAKE_SWEEP_GRACE_SECONDS = 15
    purge_broker()
    worker = Worker(log_dir=tmp_path, env=worker_env, knobs=knobs).start()
    try:
        # when n distinct orders/create webhooks arrive, correctly signed
        started = time.monotonic()
        for i in range(n):
            order = shopify_order(
                id=9_000_000 + i,
                name=f"#{10000 + i}",
                customer={**shopify_order()["customer"], "id": 7_000_000 + i, "email": f"buyer{i}@example.com"},
                email=f"buyer{i}@example.com",
            )
            response = post_shopify(shop, "orders/create", body_of(order), webhook_id=f"burst-{i}")
            assert response.status_code == 202
            if i == n // 3:
                # then every one is stored; a third in, the worker dies (as a machine crash would)
                _wait(lambda: IntakeRecord.objects.exclude(status="received").count() > n // 10, timeout=60)
                worker.kill()
                worker.start()
        assert IntakeRecord.objects.count() == n
        post_seconds = time.monotonic() - started

        # and with beat's sweeper running, everything is processed
        def all_done():
            sweep_intake()
            return not IntakeRecord.objects.filter(status="received").exists()

        assert _wait(all_done, timeout=300, poll=5), worker.log_tail()
    finally:
        worker.stop()
        if worker.process is not None:
            worker.kill()

    # then exactly once: one order (one creation audit row, one order.placed event) per webhook
    assert IntakeRecord.objects.filter(status="processed").count() == n
    assert set(IntakeRecord.objects.values_list("attempts", flat=True)) == {1}
    assert Order.objects.filter(sales_channel=shop).count() == n
    assert not Order.objects.values("external_id").annotate(c=Count("id")).filter(c__gt=1).exists()
    assert AuditLog.objects.filter(content_type__model="order", action="created").count() == n
    assert Event.objects.filter(type="order.placed").count() == n
    print(f"{n} webhooks posted in {post_seconds:.1f}s on {connection.vendor}")


def _wait(condition, *, timeout: float, poll: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False
