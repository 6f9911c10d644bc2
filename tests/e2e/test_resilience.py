"""End to end under trouble: a worker SIGKILLed in the middle of a burst of 500 events and a
new one started loses nothing and sends nothing twice (its sends in flight are reconciled with
the provider, not resent); a provider refusing a fifth of its sends, or dropping the connection
after taking a tenth of them, still ends with every notification delivered once, counted at the
provider (the sandbox records every message it takes, repeats included)."""

import time

import pytest

from channels.models import SandboxMessage
from notifications.models import Delivery, DeliveryAttempt, Event, Notification
from tests.e2e.helpers import S, assert_each_sent_delivery_sent_once, place_order, scan, ship, shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

D, N, A = Delivery.Status, Notification.Status, DeliveryAttempt.Outcome
JOURNEY_EVENTS = [
    "order.placed",
    "shipment.label_created",
    "shipment.shipped",
    "shipment.in_transit",
    "shipment.delivered",
]


def _journeys(channel, numbers):
    """Each order: placed, label created + shipped, in transit, delivered (5 domain events)."""
    for number in numbers:
        order = place_order(channel=channel, number=number)
        shipment = ship(order)
        scan(shipment, S.IN_TRANSIT)
        scan(shipment, S.DELIVERED)


def _delivered_orders(worker, settle, knobs, **faults):
    """A worker restarted with the sandbox's ``faults``, then 25 orders placed, shipped and
    delivered; the brand and its report once idle."""
    worker.stop()
    for name, value in faults.items():
        setattr(knobs, name, value)
    knobs.save()
    worker.start()
    brand, channel = shop()
    for number in range(25):
        order = place_order(channel=channel, number=number)
        shipment = ship(order)
        scan(shipment, S.DELIVERED)
    return brand, settle(brand, timeout=180)


def _wait_for(condition, *, timeout: float, poll: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def test_a_worker_killed_mid_burst_loses_nothing_and_sends_nothing_twice(worker, settle, knobs):
    # given a provider slow enough (80 ms a send) that sends are in flight at any moment
    worker.stop()
    knobs.sandbox_latency_ms = 80
    knobs.save()
    worker.start()
    brand, channel = shop()

    # when the first half of a burst of 100 journeys (500 domain events) is committed
    _journeys(channel, range(50))

    # and the worker is SIGKILLed (its whole process group) while it is sending
    def in_flight():
        return (
            SandboxMessage.objects.filter(delivery__notification__brand=brand).count() >= 5
            and Delivery.objects.filter(status=D.SENDING).exists()
        )

    assert _wait_for(in_flight, timeout=60), worker.log_tail()
    worker.kill()
    sent_at_kill = SandboxMessage.objects.count()
    stuck_at_kill = Delivery.objects.filter(status=D.SENDING).count()
    # and the second half is committed while no worker runs
    _journeys(channel, range(50, 100))
    knobs.sandbox_latency_ms = 0
    knobs.save()
    # and a new worker is started
    worker.start()
    report = settle(brand, timeout=300)

    # then the kill interrupted real work
    assert 0 < sent_at_kill < report["deliveries"].get(D.DELIVERED, 0), (sent_at_kill, stuck_at_kill)
    # and every one of the 500 events was processed once into its notifications
    assert Event.objects.filter(brand=brand, type__in=JOURNEY_EVENTS).count() == 500
    assert not Event.objects.filter(brand=brand, processed_at__isnull=True).exists()
    assert report["notifications"] == 400  # confirmed, shipped, in transit, delivered per order
    by_type = {}
    for key, status in Notification.objects.filter(brand=brand).values_list("notification_type__key", "status"):
        by_type.setdefault(key, set()).add(status)
    # confirmations and deliveries always go out; shipped/in transit may be superseded by a newer scan
    assert by_type["order_confirmed"] == {N.DELIVERED}
    assert by_type["shipment_delivered"] == {N.DELIVERED}
    assert by_type["shipment_shipped"] <= {N.DELIVERED, N.SUPERSEDED}
    assert by_type["shipment_in_transit"] <= {N.DELIVERED, N.SUPERSEDED}
    # and nothing is lost, nothing was sent twice, nothing is left in flight
    assert (report["lost"], report["duplicates"]) == (0, 0), report
    assert set(report["deliveries"]) <= {D.DELIVERED, D.SUPERSEDED}, report
    assert assert_each_sent_delivery_sent_once(brand) == report["deliveries"][D.DELIVERED]


def test_a_fifth_of_sends_failing_still_delivers_every_notification(worker, settle, knobs):
    # given a provider that refuses 20% of sends (not sent, so retried)
    # when 25 orders are placed, shipped and delivered
    brand, report = _delivered_orders(worker, settle, knobs, sandbox_fail_rate=0.2)

    # then retries happened (transient attempts) and every notification ended delivered or superseded
    transient = DeliveryAttempt.objects.filter(delivery__notification__brand=brand, outcome=A.TRANSIENT).count()
    assert transient > 0
    statuses = set(Notification.objects.filter(brand=brand).values_list("status", flat=True))
    assert statuses <= {N.DELIVERED, N.SUPERSEDED}, report
    assert Notification.objects.filter(brand=brand, status=N.DELIVERED).count() >= 50  # confirmed + delivered
    assert set(report["deliveries"]) <= {D.DELIVERED, D.SUPERSEDED}, report
    assert (report["lost"], report["duplicates"]) == (0, 0), report
    # and each delivery that was sent was accepted once, after its failed tries
    assert assert_each_sent_delivery_sent_once(brand) == report["deliveries"][D.DELIVERED]
    retried = Delivery.objects.filter(notification__brand=brand, status=D.DELIVERED, attempt_count__gt=1)
    assert retried.exists()


def test_a_tenth_of_sends_dropped_after_the_provider_took_them_are_never_sent_twice(worker, settle, knobs):
    # given a provider that takes every message but drops the connection before answering for
    # a tenth of them (the sender cannot know whether they arrived)
    # when 25 orders are placed, shipped and delivered
    brand, report = _delivered_orders(worker, settle, knobs, sandbox_unknown_rate=0.1)

    # then those sends were reconciled (found at the provider), none was sent again
    unknown = DeliveryAttempt.objects.filter(
        delivery__notification__brand=brand, outcome=A.ACCEPTED, resolution=DeliveryAttempt.Resolution.FOUND
    )
    assert unknown.exists()
    assert (report["lost"], report["duplicates"]) == (0, 0), report
    assert set(report["deliveries"]) <= {D.DELIVERED, D.SUPERSEDED}, report
    # and the provider holds exactly one message per delivered delivery
    assert assert_each_sent_delivery_sent_once(brand) == report["deliveries"][D.DELIVERED]
