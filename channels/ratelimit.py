"""A provider's send rate, shared by every worker: a token bucket. In Redis when one is configured
(``REDIS_URL``, a Redis cache or a Redis broker); otherwise in a locked file under the data
directory, which every worker process on the machine shares. Over the limit a send waits:
nothing is dropped."""

import fcntl
import json
import threading
import time
from pathlib import Path

from django.conf import settings

_LUA = """
local key, rate, burst, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens, ts = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
if wait == 0 then
  redis.call('HSET', key, 'tokens', tokens, 'ts', now)
  redis.call('PEXPIRE', key, 60000)
end
return tostring(wait)
"""
_local = threading.local()


def redis_url() -> str:
    if settings.REDIS_URL:
        return settings.REDIS_URL
    location = settings.CACHES["default"].get("LOCATION", "")
    if "redis" in settings.CACHES["default"].get("BACKEND", "").lower() and location:
        return location if isinstance(location, str) else location[0]
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return settings.CELERY_BROKER_URL
    return ""


def _redis():
    url = redis_url()
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "url", None) != url:
        import redis

        _local.client, _local.url = redis.Redis.from_url(url), url
        _local.script = _local.client.register_script(_LUA)
    return _local.script


def _take_redis(name: str, rate: float, burst: float) -> float:
    return float(_redis()(keys=[f"waypost:ratelimit:{name}"], args=[rate, burst, time.time()]))


def _take_file(name: str, rate: float, burst: float) -> float:
    path = Path(settings.DATA_DIR) / f"ratelimit-{name}.json"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            raw = handle.read()
            state = json.loads(raw) if raw.strip() else {}
            now = time.time()
            tokens = min(burst, state.get("tokens", burst) + (now - state.get("ts", now)) * rate)
            if tokens < 1:
                return (1 - tokens) / rate
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"tokens": tokens - 1, "ts": now}))
            handle.flush()
            return 0.0
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rate_for(name: str) -> float:
    return float(settings.SMS_RATE_LIMITS.get(name, 0) or 0)


class StartTooLate(Exception):
    """The rate limit would hold a call past the latest moment it may start (its lease)."""


def throttle(name: str, *, rate: float | None = None, start_by: float | None = None) -> float:
    """Block until ``name`` may make one more request; returns the seconds waited. No limit
    configured (rate 0): no wait. With ``start_by`` (a ``time.monotonic()``), raise ``StartTooLate``
    instead of waiting past it: a send held that long would outlive its lease."""
    rate = rate_for(name) if rate is None else rate
    if rate <= 0:
        return 0.0
    burst = max(1.0, rate / 10)  # a short burst, so the measured rate stays near the configured one
    take = _take_redis if redis_url() else _take_file
    waited = 0.0
    while True:
        if start_by is not None and time.monotonic() > start_by:
            raise StartTooLate(f"the {name} rate limit held the send past its lease")
        wait = take(name, rate, burst)
        if wait <= 0:
            return waited
        time.sleep(min(wait, max(0.0, start_by - time.monotonic())) if start_by is not None else wait)
        waited += wait
