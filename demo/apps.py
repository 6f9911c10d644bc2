import os

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo & simulations"

    def ready(self):
        # A simulation's worker is started with its time compression in the environment: waits
        # compressed in that process only (``SIMULATION_TIME_SCALE``, set by ``simulate``).
        scale = os.environ.get("SIMULATION_TIME_SCALE")
        if scale:
            from notifications import waits

            waits.compress(float(scale))
