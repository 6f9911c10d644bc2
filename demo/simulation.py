"""A realistic traffic scenario driven through the real domain services: orders walk from placed
to delivered with duplicate carrier events, rapid successive updates, backorders and returns.
Used by ``manage.py simulate`` and the end-to-end tests."""

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from customers.models import Brand, SalesChannel
from customers.services import customer_upsert
from inventory.models import BackInStockSubscription
from inventory.services import product_create, stock_level_update
from orders.models import OrderLine, Shipment
from orders.services import LineInput, order_create, shipment_create, shipment_event_record
from preferences.models import ChannelConsent
from preferences.services import preferences_save
from returns.services import return_create, return_transition

PEOPLE = [
    ("Emma Johnson", "en-US", "America/New_York", "US", "+12125550{:03d}"),
    ("Ana García", "es-MX", "America/Mexico_City", "MX", "+5255123{:05d}"),
    ("Lucas Martin", "fr-FR", "Europe/Paris", "FR", "+3361234{:04d}"),
    ("Lena Schmidt", "de-DE", "Europe/Berlin", "DE", "+49151234{:05d}"),
    ("Carlos Ruiz", "es-ES", "Europe/Madrid", "ES", "+3461234{:04d}"),
]
PRODUCTS = [
    ("TR-42-BLK", "Trail runner, black", "89.00"),
    ("RJ-M-NVY", "Rain jacket, navy", "129.00"),
    ("WS-3P", "Wool socks, 3 pack", "24.00"),
    ("BP-28L", "Daypack 28 L", "74.50"),
]


@dataclass
class Scenario:
    orders: int
    seed: int = 7
    duplicate_share: float = 0.3
    rapid_share: float = 0.2
    backorder_share: float = 0.1
    return_share: float = 0.15
    sms_opt_out_share: float = 0.05
    step_pause: float = 0.0
    log: callable = print
    brand: Brand | None = None
    shipments: list = field(default_factory=list)

    def run(self) -> Brand:
        rng = random.Random(self.seed)
        stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
        self.brand = Brand.objects.create(
            name="Simulated Outfitters",
            slug=f"sim-{stamp}",
            sender_email="orders@sim.example",
            sender_name="Simulated Outfitters",
            support_email="help@sim.example",
            sms_sender_id="SIMOUTFIT",
            sms_sender_number="+15035550101",  # its US customers may only be texted from a number
            support_url="https://sim.example/help",
            default_language="en",
        )
        channel = SalesChannel.objects.create(brand=self.brand, name="Sim web shop", slug=f"sim-web-{stamp}")
        products = [
            product_create(brand=self.brand, sku=sku, name=name, price=Decimal(price))[0]
            for sku, name, price in PRODUCTS
        ]
        for p in products:
            stock_level_update(product=p, on_hand=50, actor="system:simulate")
        backordered_product = products[0]

        self.log(f"placing {self.orders} orders")
        orders = []
        for i in range(self.orders):
            name, lang, tz, country, phone = PEOPLE[i % len(PEOPLE)]
            customer, _ = customer_upsert(
                sales_channel=channel,
                external_id=f"c{i}",
                data={
                    "name": name,
                    "email": f"sim{i}-{stamp}@example.com",
                    "phone": phone.format(i % 1000),
                    "language": lang,
                    "time_zone": tz,
                    "country": country,
                },
            )
            # Quiet hours are wall-clock time the run cannot compress: held SMS would wait for
            # morning in the customers' zones, so the outcome would depend on the hour it runs.
            preferences_save(
                customer=customer, data={"quiet_hours": {"enabled": False}}, source="simulate", actor="system:simulate"
            )
            if rng.random() < self.sms_opt_out_share:
                ChannelConsent.objects.update_or_create(
                    customer=customer, channel="sms", defaults={"state": "opted_out", "source": "simulate"}
                )
            backorder = rng.random() < self.backorder_share
            lines = [
                LineInput(
                    sku=p.sku,
                    quantity=1 + rng.randrange(2),
                    unit_price=p.price,
                    backordered=backorder and p == backordered_product,
                )
                for p in rng.sample(products, 2)
            ]
            if backorder and not any(ln.backordered for ln in lines):
                lines.append(
                    LineInput(
                        sku=backordered_product.sku, quantity=1, unit_price=backordered_product.price, backordered=True
                    )
                )
            order, _ = order_create(
                sales_channel=channel,
                external_id=f"SIM-{stamp}-{i}",
                customer=customer,
                lines=lines,
                actor="system:simulate",
            )
            order_create(sales_channel=channel, external_id=f"SIM-{stamp}-{i}", customer=customer, lines=lines)
            orders.append(order)
            if backorder:
                BackInStockSubscription.objects.get_or_create(customer=customer, product=backordered_product)

        self.log("shipping")
        for order in orders:
            shipment, _ = shipment_create(
                order=order,
                carrier=rng.choice(["ups", "dhl", "fedex"]),
                tracking_number=f"{stamp}{order.pk:08d}",
                tracking_url=f"https://track.example/{stamp}{order.pk:08d}",
                actor="system:simulate",
            )
            self.shipments.append(shipment)
        self._walk(rng, [Shipment.Status.SHIPPED])
        self._walk(rng, [Shipment.Status.IN_TRANSIT])
        rapid = set(rng.sample(range(len(self.shipments)), int(len(self.shipments) * self.rapid_share)))
        self._walk(rng, [Shipment.Status.OUT_FOR_DELIVERY], only=lambda i: i not in rapid)
        self.log("rapid successive updates: out for delivery then delivered at once")
        self._walk(rng, [Shipment.Status.OUT_FOR_DELIVERY, Shipment.Status.DELIVERED], only=lambda i: i in rapid)
        self._walk(rng, [Shipment.Status.DELIVERED], only=lambda i: i not in rapid)

        self.log("restocking the backordered product")
        stock_level_update(product=backordered_product, on_hand=-5, actor="system:simulate")
        stock_level_update(product=backordered_product, on_hand=100, actor="system:simulate")

        returning = [o for o in orders if rng.random() < self.return_share]
        self.log(f"{len(returning)} returns")
        for order in returning:
            line = order.lines.first()
            ret, _ = return_create(order=order, lines=[(line, 1)], reason="Does not fit", actor="system:simulate")
            for status, fields in [
                ("approved", {}),
                ("label_issued", {"return_tracking_number": f"RT{ret.pk:08d}", "return_carrier": "ups"}),
                ("received", {}),
                ("inspected", {"inspection_result": "accepted"}),
                ("refund_processing", {}),
                ("refunded", {"refund_amount": line.unit_price}),
                ("resolved", {}),
            ]:
                ret = return_transition(return_request=ret, to_status=status, actor="system:simulate", **fields)
        return self.brand

    def _walk(self, rng, statuses, only=lambda i: True):
        for i, shipment in enumerate(self.shipments):
            if not only(i):
                continue
            for status in statuses:
                occurred = timezone.now()
                event_args = dict(
                    shipment=shipment,
                    status=status,
                    occurred_at=occurred,
                    carrier_code=status.upper(),
                    description=f"Carrier scan: {status}",
                    actor="carrier:simulate",
                )
                shipment_event_record(**event_args)
                if rng.random() < self.duplicate_share:
                    shipment_event_record(**event_args)  # the carrier sends the same scan again
        if self.step_pause:
            time.sleep(self.step_pause)


def expected_backordered_lines(brand) -> int:
    return OrderLine.objects.filter(order__sales_channel__brand=brand, backorder_state="backordered").count()


def drain(
    *,
    brand_ids,
    timeout: float,
    quiet_seconds: float = 2.0,
    poll: float = 0.5,
    sweep_every: tuple[float, float] = (0.0, 0.0),
) -> bool:
    """Wait until the brands' pipeline is idle (no unprocessed event, no pending or in-flight
    delivery) for ``quiet_seconds``, doing beat's sweeps meanwhile: ``sweep_events`` and
    ``dispatch_due`` at most every ``sweep_every`` seconds (beat's periods; 0: every poll, which
    a scaled-time simulation wants). False on timeout."""
    from notifications.selectors import pipeline_busy
    from notifications.tasks import dispatch_due, sweep_events

    deadline = time.monotonic() + timeout
    quiet_since = None
    last = [float("-inf"), float("-inf")]
    while time.monotonic() < deadline:
        for i, (sweep, every) in enumerate(zip((sweep_events, dispatch_due), sweep_every, strict=False)):
            if time.monotonic() - last[i] >= every:
                sweep.run()
                last[i] = time.monotonic()
        if pipeline_busy(brand_ids=brand_ids):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > quiet_seconds:
            return True
        time.sleep(poll)
    return False


def _own_session_killed_with_parent() -> None:
    """Run in the worker between fork and exec: its own session, and SIGKILL when the process
    that started it dies (Linux; its pool processes follow their main process)."""
    import contextlib
    import ctypes
    import os
    import signal

    os.setsid()
    # PR_SET_PDEATHSIG; not on Linux (no prctl): stop it with the simulation by hand.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def start_worker(
    *,
    concurrency: int = 2,
    env: dict | None = None,
    loglevel: str = "warning",
    logfile=None,
    supervised: bool = False,
    die_with_parent: bool = False,
):
    """Start a Celery worker process consuming every Waypost queue (its own process group);
    ``supervised``: under ``config.supervise``, which starts it again if it exits (the process
    returned is then the supervisor's, and stopping it stops the worker); ``die_with_parent``:
    killed with the process that started it (a simulation's worker, whose compressed waits and
    faults must not outlive the simulation)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-l",
        loglevel,
        "--without-mingle",
        "--without-gossip",
        "-Q",
        settings.WAYPOST_QUEUES,
        f"--concurrency={concurrency}",
    ]
    if supervised:
        cmd = [sys.executable, "-m", "config.supervise", "--backoff", "0.5", "--", *cmd]
    session = {"preexec_fn": _own_session_killed_with_parent} if die_with_parent else {"start_new_session": True}
    return subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=logfile, stderr=logfile, **session)


def stop_worker(worker, *, kill: bool = False) -> None:
    import os
    import signal
    import subprocess

    try:
        if kill:  # the whole process group, as a machine crash would
            os.killpg(worker.pid, signal.SIGKILL)
        else:  # a warm shutdown: the main process finishes its children's tasks
            os.kill(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
