"""The pipeline's own waits (coalescing windows, retry backoff, sweeper graces, the SMS cap's
hour) in one place. They are real time; a simulation compresses them in the processes it runs
(``compress``, called by the demo app), never through a setting production reads. Waits that
bound real network behaviour (provider timeouts, in-flight leases, reconciliation) are not
here: they are never compressed."""

import datetime as dt

_state = {"factor": 1.0}


def scaled(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds * _state["factor"])


def compress(factor: float) -> None:
    """Make this process's waits ``factor`` times as long (0.01: five minutes in three seconds;
    0: none at all); 1 restores real time."""
    if factor < 0:
        raise ValueError("a time factor is 0 or more")
    _state["factor"] = float(factor)


def factor() -> float:
    return _state["factor"]
