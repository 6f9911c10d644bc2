"""The pipeline's own waits (coalescing windows, retry backoff, sweeper graces, the SMS cap's
hour) in one place, so a simulation can compress them in the processes it starts
(``SIMULATION_TIME_SCALE``; 1 in production). Waits that bound real network behaviour (provider
timeouts, in-flight leases, reconciliation) are not here: they are never scaled."""

import datetime as dt

from django.conf import settings


def scaled(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds * settings.SIMULATION_TIME_SCALE)
