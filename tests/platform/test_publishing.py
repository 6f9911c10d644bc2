"""``core.publishing.publish``: a broker that is down makes it return False within about a
second, logging the task and its ids and counting the refusal per task, which ``/metrics``
shows; a broker that takes the message makes it return True and counts nothing."""

import time

import pytest
from celery import Celery

from core.models import PublishFailure
from core.publishing import publish
from tests.redis_server import free_port

pytestmark = pytest.mark.django_db


def _app(broker_url: str) -> Celery:
    """A Celery app with the project's settings (its publish retry policy) on ``broker_url``."""
    app = Celery("publishing-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # Publishing uses the write URL; Celery prefers CELERY_BROKER_URL from the environment over
    # broker_url, not over broker_write_url.
    app.conf.broker_write_url = broker_url
    return app


@pytest.fixture
def plan_task():
    """A task of an app whose broker nobody listens on."""
    app = _app(f"redis://127.0.0.1:{free_port()}/0")

    @app.task(name="tests.plan")
    def plan(event_ids):
        return event_ids

    return plan


def test_a_broker_that_is_down_is_logged_and_counted_and_never_raises(plan_task, caplog):
    # given a broker that refuses connections
    # when two messages are published
    started = time.monotonic()
    first = publish(plan_task, (list(range(1, 13)),), queue="events")
    second = publish(plan_task, ([13],), queue="events")
    seconds = (time.monotonic() - started) / 2

    # then both calls returned False, after about a second each
    assert (first, second) == (False, False)
    assert seconds < 2.5
    # and each was logged with its task and ids only
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.publishing"]
    assert len(warnings) == 2
    assert warnings[0].startswith("broker did not take tests.plan([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... 12 ids])")
    assert warnings[1].startswith("broker did not take tests.plan([13])")
    # and counted per task
    assert PublishFailure.objects.get(task="tests.plan").count == 2


def test_metrics_show_the_refusals_per_task(plan_task, client, settings):
    # given refusals counted for a task
    publish(plan_task, ([1],))
    publish(plan_task, ([2],))
    settings.METRICS_TOKEN = "m"

    # when Prometheus scrapes
    text = client.get("/metrics", headers={"Authorization": "Bearer m"}).content.decode()

    # then the counter names the task and its count
    assert "# TYPE waypost_broker_publish_failures_total counter" in text
    assert 'waypost_broker_publish_failures_total{task="tests.plan"} 2' in text.splitlines()


def test_a_broker_that_takes_the_message_is_not_counted():
    # given a broker that is up (kombu's in-memory transport)
    app = _app("memory://")

    @app.task(name="tests.noted")
    def noted(event_id):
        return event_id

    # when a message is published
    sent = publish(noted, (7,), queue="events")

    # then it was taken and nothing was counted
    assert sent is True
    assert not PublishFailure.objects.exists()
