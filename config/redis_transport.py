"""kombu's Redis transport with a channel that survives a broker restart while it is closing.
Registered as the ``redis://`` and ``rediss://`` transport by ``config.celery``.

Celery 5.7 / kombu 5.7 (the newest releases) crash a worker whose Redis restarts while it holds
unacked messages. The consumer closes the broken connection with ``Connection.collect()``: the
channel's ``close()`` stops at reading the pending BRPOP reply (a connection error, swallowed)
before it marks the channel closed, the transport's close of its other channels stops at the
first that cannot reach Redis (remote control's fanout queue), and ``collect()`` detaches the
transport (``transport.client = None``). The consumer's ``connection.close()`` that follows
(added by celery#10242) closes the channel again, which restores its unacked messages through a
Redis pool built from the detached transport: ``AttributeError: 'NoneType' object has no
attribute 'hostname'`` in ``_connparams``, "Unrecoverable error", the worker exits. kombu#582 is
the same failure of a channel closed after its transport was detached (kombu 3.0).

This channel finishes its close when the BRPOP reply cannot be read, while the transport is still
attached; one closed after its transport was detached leaves its unacked messages in Redis, where
any worker's ``restore_visible`` puts them back after the visibility timeout (the database
sweepers queue the work again sooner).
"""

from kombu.transport import TRANSPORT_ALIASES, redis


class Channel(redis.Channel):
    def close(self):
        if not self.closed and self.connection is not None and self.connection.client is None:
            self.do_restore = False  # the transport no longer knows the broker's address
        try:
            super().close()
        except self.connection_errors:
            if self.closed:
                raise
            # The pending BRPOP reply could not be read: close the rest now, so that a later
            # close (after the transport is detached) has nothing left to do.
            super().close()


class Transport(redis.Transport):
    Channel = Channel


def register() -> None:
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = "config.redis_transport:Transport"
