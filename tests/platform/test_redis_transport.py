"""The Redis transport (``config.redis_transport``) closes a connection whose Redis went away
while it held an unacked message, the way a Celery worker does on losing its broker
(``collect()`` then ``close()``), without kombu 5.7's AttributeError; a new connection gets the
messages again once Redis is back."""

import contextlib

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue

from config.redis_transport import Transport
from tests.redis_server import REDIS_SERVER, RedisServer, free_port

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary")


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(port=free_port(), log_dir=tmp_path).start()
    yield server
    server.stop()


def _consuming_with_an_unacked_message(url: str) -> tuple[Connection, list]:
    """A connection like a worker's: one message received and not acked, a BRPOP waiting for the
    next, and a second channel consuming a fanout queue (the worker's remote control)."""
    connection = Connection(url)
    tasks = Queue("tasks", Exchange("tasks", "direct"), "tasks")
    Producer(connection).publish({"event_id": 1}, exchange=tasks.exchange, routing_key="tasks", declare=[tasks])
    received = []
    Consumer(connection, [tasks], callbacks=[lambda body, message: received.append(body)], no_ack=False).consume()
    connection.drain_events(timeout=5)
    control = connection.channel()
    Consumer(control, [Queue("control", Exchange("control", "fanout"), auto_delete=True)], no_ack=True).consume()
    with contextlib.suppress(TimeoutError):
        connection.drain_events(timeout=0.2)  # leaves a BRPOP waiting for the next message
    return connection, received


def test_a_connection_whose_redis_restarted_closes_and_a_new_one_consumes_again(redis_server):
    # given a connection through the configured transport holding an unacked message
    connection, received = _consuming_with_an_unacked_message(redis_server.url(0))
    assert isinstance(connection.transport, Transport)
    assert received == [{"event_id": 1}]

    # when Redis stops, and the connection is collected and closed as a worker does
    redis_server.stop()
    connection.collect(socket_timeout=5)
    connection.close()

    # then nothing raised, and with Redis back a new connection publishes and consumes again
    redis_server.start()
    again, received = _consuming_with_an_unacked_message(redis_server.url(0))
    assert received == [{"event_id": 1}]
    again.close()
