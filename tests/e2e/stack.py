"""Processes for the broker-outage tests (with ``tests.redis_server`` as their broker and cache):
the web app under gunicorn and Celery beat, and a partner posting order journeys to the web app
over HTTP from several threads."""

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.redis_server import wait_until


class Service:
    """A process of the app (gunicorn, beat) with its output in ``<name>.log``; stopped with
    SIGTERM, then SIGKILL to its process group if it lingers."""

    def __init__(self, name: str, command: list[str], *, env: dict, log_dir: Path):
        self.name, self.command, self.env = name, command, env
        self.log_path = log_dir / f"{name}.log"
        self.process = None

    def start(self) -> "Service":
        with open(self.log_path, "ab") as log:  # the process keeps its own descriptor
            self.process = subprocess.Popen(
                self.command,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.process.terminate()
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def web(*, port: int, env: dict, log_dir: Path) -> Service:
    """The web app under gunicorn (two processes, four threads each), answering /healthz at
    ``url`` once this returns."""
    gunicorn = [
        "gunicorn",
        "config.wsgi",
        "-w",
        "2",
        "--threads",
        "4",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
    ]
    command = [sys.executable, "-m", *gunicorn, "-b", f"127.0.0.1:{port}"]
    service = Service("web", command, env=env, log_dir=log_dir).start()

    def healthy() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    assert wait_until(healthy, timeout=30), service.log()[-3000:]
    service.url = f"http://127.0.0.1:{port}"
    return service


def beat(*, env: dict, log_dir: Path) -> Service:
    """Celery beat on the database scheduler: the sweepers on the periods ``env`` gives."""
    scheduler = "django_celery_beat.schedulers:DatabaseScheduler"
    command = [
        sys.executable,
        "-m",
        *["celery", "-A", "config", "beat", "-l", "info"],
        "--scheduler",
        scheduler,
    ]
    return Service("beat", command + ["--pidfile="], env=env, log_dir=log_dir).start()


@dataclass
class Answer:
    path: str
    status: int
    seconds: float
    started: float  # time.monotonic()


class Partner:
    """Posts order journeys to the web app as a partner: an order (with an ``Idempotency-Key``),
    its shipment, an in-transit and a delivered scan; every answer is kept in ``answers``."""

    JOURNEY_POSTS = 4

    def __init__(self, *, base_url: str, token: str, channel: str, prefix: str):
        self.base_url, self.channel, self.prefix = base_url, channel, prefix
        self.headers = {"Authorization": f"Bearer {token}"}
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def post(self, path: str, body: dict, *, key: str | None = None) -> requests.Response:
        session = getattr(self._local, "session", None) or requests.Session()
        self._local.session = session
        headers = {**self.headers, **({"Idempotency-Key": key} if key else {})}
        started = time.monotonic()
        response = session.post(self.base_url + path, json=body, headers=headers, timeout=30)
        with self._lock:
            self.answers.append(Answer(path, response.status_code, time.monotonic() - started, started))
        return response

    def order(self, number: int) -> dict:
        return {
            "sales_channel": self.channel,
            "external_id": f"{self.prefix}-{number}",
            "currency": "USD",
            "customer": {
                "external_id": f"{self.prefix}-c{number}",
                "name": "Ana García",
                "email": f"{self.prefix}-{number}@example.com",
                "phone": "+525512345678",
                "language": "es-MX",
                "time_zone": "America/Mexico_City",
                "country": "MX",
            },
            "lines": [
                {
                    "sku": "NW-BT-02",
                    "name": "Trailhead hiking boot",
                    "quantity": 1,
                    "unit_price": "149.00",
                }
            ],
        }

    def journey(self, number: int) -> None:
        order = self.post("/api/v1/orders/", self.order(number), key=f"{self.prefix}-order-{number}")
        if order.status_code >= 300:
            return
        shipment = self.post(
            "/api/v1/shipments/",
            {
                "order": order.json()["id"],
                "carrier": "ups",
                "tracking_number": f"1Z{self.prefix}{number:06d}",
            },
        )
        if shipment.status_code >= 300:
            return
        for status, minute in (("in_transit", 1), ("delivered", 2)):
            self.post(
                f"/api/v1/shipments/{shipment.json()['id']}/events/",
                {
                    "status": status,
                    "occurred_at": f"2026-05-01T10:0{minute}:00Z",
                    "carrier_code": status.upper(),
                    "description": f"Scan: {status}",
                },
            )

    def journeys(self, numbers, *, threads: int = 3) -> None:
        numbers = list(numbers)
        workers = [
            threading.Thread(target=lambda part=numbers[i::threads]: [self.journey(n) for n in part])
            for i in range(threads)
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
