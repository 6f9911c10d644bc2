"""Django's Redis cache, failing open: while Redis is unreachable every call answers as an empty
cache that stores nothing, and a warning is logged (at most every ``WARN_EVERY_SECONDS`` per
process). What the cache holds here only limits (the partner API throttle, the preference link
renewal cooldown), so losing it for an outage lets requests through instead of failing them.
Settings switch ``CACHE_URL=rediscache://...`` to this backend."""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 10.0


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found.")  # what incr says of a key an empty cache lacks


# What an empty cache that stores nothing answers, per method (called with the method's arguments).
EMPTY_ANSWERS = {
    "get": lambda key, default=None, version=None: default,
    "get_many": lambda keys, version=None: {},
    "has_key": lambda key, version=None: False,
    "add": lambda *args, **kwargs: True,  # "stored": the caller goes ahead
    "set": lambda *args, **kwargs: None,
    "set_many": lambda data, *args, **kwargs: list(data),  # the keys not stored
    "touch": lambda *args, **kwargs: False,
    "delete": lambda *args, **kwargs: False,
    "delete_many": lambda *args, **kwargs: None,
    "incr": _missing_key,
    "clear": lambda: False,
}


class FailOpenRedisCache(RedisCache):
    _warned_at = float("-inf")
    _unwarned = 0

    @classmethod
    def _unreachable(cls, method: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - cls._warned_at < WARN_EVERY_SECONDS:
            cls._unwarned += 1
            return
        log.warning(
            "cache unreachable (%s: %s): %s answered as an empty cache (%d more since the last warning)",
            exc.__class__.__name__,
            str(exc)[:200],
            method,
            cls._unwarned,
        )
        cls._warned_at, cls._unwarned = now, 0


def _failing_open(method: str):
    def call(self, *args, **kwargs):
        try:
            return getattr(RedisCache, method)(self, *args, **kwargs)
        except UNREACHABLE as exc:
            self._unreachable(method, exc)
            return EMPTY_ANSWERS[method](*args, **kwargs)

    call.__name__ = method
    return call


for _method in EMPTY_ANSWERS:
    setattr(FailOpenRedisCache, _method, _failing_open(_method))
