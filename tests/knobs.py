"""The simulation knobs in tests: the pipeline's waits compressed (``notifications.waits``; a
worker gets ``SIMULATION_TIME_SCALE``) and the sandbox provider's faults (``SANDBOX_*``, through
pytest-django's ``settings`` fixture, which ``tests/conftest.py`` hands over), both undone when
the test ends.
``Knobs`` keeps the attribute names tests use: ``knobs.sandbox_fail_rate = 0.2; knobs.save()``."""

from notifications import waits

NAMES = {
    "time_scale": "SIMULATION_TIME_SCALE",
    "sandbox_fail_rate": "SANDBOX_FAIL_RATE",
    "sandbox_unknown_rate": "SANDBOX_UNKNOWN_RATE",
    "sandbox_latency_ms": "SANDBOX_LATENCY_MS",
    "sandbox_idempotent": "SANDBOX_IDEMPOTENT",
}
test_settings = None  # the running test's pytest-django ``settings``


class Knobs:
    def __init__(self, **values):
        self.time_scale, self.sandbox_fail_rate, self.sandbox_unknown_rate = 1.0, 0.0, 0.0
        self.sandbox_latency_ms, self.sandbox_idempotent = 0, False
        for name, value in values.items():
            setattr(self, name, value)
        self.save()

    def save(self) -> "Knobs":
        assert test_settings is not None, "knobs are set within a test"
        for name, setting in NAMES.items():
            if name != "time_scale":
                setattr(test_settings, setting, getattr(self, name))
        waits.compress(self.time_scale)
        return self

    def as_env(self) -> dict:
        """The same knobs for a worker process's environment."""
        return {NAMES[name]: str(getattr(self, name)) for name in NAMES}


def instant(**values) -> Knobs:
    """No waits (coalescing windows and backoff scaled to 0), a sandbox that never fails."""
    return Knobs(time_scale=0, **values)
