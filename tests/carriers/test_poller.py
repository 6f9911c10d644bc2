"""The carrier poller against a fake carrier API on 127.0.0.1: pages, timeouts, 5xx with retries,
the circuit breaker opening and closing, out-of-order and duplicate events; acceptance 3."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from channels.models import SandboxMessage
from intake.models import CarrierAccount
from intake.services import carrier_poll
from intake.tasks import poll_carriers
from notifications.models import Notification
from orders.models import Shipment, ShipmentEvent
from tests.notifications.pipeline import instant_pipeline, run_pipeline

pytestmark = pytest.mark.django_db
C = CarrierAccount.Circuit


def test_acceptance_3_a_shipment_known_only_to_the_poller_reaches_delivered_with_notifications(
    fake_carrier, account_for, shipment_of
):
    # given a DHL shipment (no webhooks: polled) whose "shipped" message already went out
    instant_pipeline()
    account_for("dhl", "dhl")
    shipment = shipment_of(carrier="dhl", number="00340434292135100186")
    run_pipeline()
    customer = shipment.order.customer

    # when DHL scans it through to delivery and beat runs the poller (twice: the interval passes)
    fake_carrier.scan(
        shipment.tracking_number, "transit", "2025-05-01T10:00:00Z", "Processed at Leipzig", "Leipzig, DE"
    )
    assert poll_carriers()["dhl"]["applied"] == 1
    run_pipeline()
    fake_carrier.scan(shipment.tracking_number, "delivered", "2025-05-02T09:30:00Z", "Delivered", "Berlin, DE")
    CarrierAccount.objects.update(last_polled_at=timezone.now() - timezone.timedelta(minutes=16))
    assert poll_carriers()["dhl"]["applied"] == 1
    run_pipeline()

    # then the shipment is delivered, each event keeps DHL's own timestamp, and the customer was told
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and shipment.order.status == "delivered"
    assert [(e.status, e.occurred_at.isoformat()) for e in shipment.events.order_by("occurred_at")] == [
        ("in_transit", "2025-05-01T10:00:00+00:00"),
        ("delivered", "2025-05-02T09:30:00+00:00"),
    ]
    delivered = Notification.objects.get(customer=customer, notification_type__key="shipment_delivered")
    assert delivered.status == Notification.Status.DELIVERED
    assert SandboxMessage.objects.filter(delivery__notification=delivered).count() >= 1
    # and a delivered shipment is no longer polled
    CarrierAccount.objects.update(last_polled_at=None)
    assert poll_carriers()["dhl"]["polled"] == 0


def test_generic_format_is_read_page_by_page(fake_carrier, account_for, shipment_of):
    account = account_for("acme-post", "generic")
    shipment = shipment_of(carrier="acme-post", number="AP1")
    for i, code in enumerate(["in_transit", "in_transit", "out_for_delivery", "delivered"]):
        fake_carrier.scan("AP1", code, f"2025-05-0{i + 1}T10:00:00Z", location=f"hub {i}")
    result = carrier_poll(account=account)
    assert result["applied"] == 3 and result["duplicate"] == 0  # the second in_transit is stored, not a move
    assert [p.split("page=")[1] for p in fake_carrier.requests] == ["1", "2"]
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 4
    shipment.refresh_from_db()
    assert shipment.status == "delivered"


def test_duplicate_and_out_of_order_events_never_move_a_shipment_backwards(fake_carrier, account_for, shipment_of):
    account = account_for("acme-post", "generic")
    shipment = shipment_of(carrier="acme-post", number="AP2")
    fake_carrier.scan("AP2", "out_for_delivery", "2025-05-03T08:00:00Z")
    carrier_poll(account=account, force=True)
    # the same scan again, and an older in-transit scan arriving late
    fake_carrier.scan("AP2", "in_transit", "2025-05-02T08:00:00Z")
    result = carrier_poll(account=account, force=True)
    assert (result["duplicate"], result["stored"], result["applied"]) == (1, 1, 0)
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    late = ShipmentEvent.objects.get(shipment=shipment, status="in_transit")
    assert (late.applied, late.not_applied_reason) == (False, "late")


def test_eta_slipping_past_the_threshold_raises_delayed_with_the_new_date(
    fake_carrier, account_for, shipment_of, settings
):
    settings.ETA_SLIP_THRESHOLD_HOURS = 24
    account = account_for("acme-post", "generic")
    eta = datetime(2025, 5, 3, 18, tzinfo=UTC)
    shipment = shipment_of(carrier="acme-post", number="AP3", estimated_delivery=eta)
    fake_carrier.scan("AP3", "in_transit", "2025-05-02T08:00:00Z", eta="2025-05-04T12:00:00Z")  # +18 h: fine
    carrier_poll(account=account, force=True)
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"
    fake_carrier.scan("AP3", "in_transit", "2025-05-02T20:00:00Z", eta="2025-05-06T12:00:00Z")  # +48 h: delayed
    result = carrier_poll(account=account, force=True)
    shipment.refresh_from_db()
    assert result["delayed"] == 1
    assert (shipment.status, shipment.estimated_delivery.isoformat()) == ("delayed", "2025-05-06T12:00:00+00:00")


def test_timeouts_and_5xx_are_retried_then_the_circuit_opens_half_opens_and_closes(
    fake_carrier, account_for, shipment_of
):
    account = account_for("acme-post", "generic", failure_threshold=2, max_retries=2)
    shipment_of(carrier="acme-post", number="AP4")
    fake_carrier.scan("AP4", "in_transit", "2025-05-02T08:00:00Z")

    # a 503 and a timeout are retried within one poll, which then succeeds
    fake_carrier.fail_next(503, "timeout")
    ok = carrier_poll(account=account, force=True)
    assert (ok["error"], ok["applied"], len(fake_carrier.requests)) == ("", 1, 3)

    # two polls failing every retry open the circuit
    fake_carrier.fail_next(*([500] * 6))
    first = carrier_poll(account=account, force=True)
    assert first["error"].startswith("TransientCarrierError") and first["circuit"] == C.CLOSED
    second = carrier_poll(account=account, force=True)
    assert second["circuit"] == C.OPEN
    account.refresh_from_db()
    assert account.consecutive_failures == 2
    # while open, beat leaves the carrier alone
    before = len(fake_carrier.requests)
    assert poll_carriers() == {}
    assert len(fake_carrier.requests) == before

    # after the cool-down one trial poll (half open): a failure re-opens at once
    CarrierAccount.objects.update(circuit_opened_at=timezone.now() - timezone.timedelta(minutes=2))
    fake_carrier.fail_next(*([502] * 3))
    assert poll_carriers()["acme-post"]["circuit"] == C.OPEN
    # the next trial succeeds and closes it
    CarrierAccount.objects.update(circuit_opened_at=timezone.now() - timezone.timedelta(minutes=2))
    assert poll_carriers()["acme-post"]["circuit"] == C.CLOSED
    account.refresh_from_db()
    assert (account.consecutive_failures, account.last_error) == (0, "")


def test_a_4xx_is_not_retried(fake_carrier, account_for, shipment_of):
    account = account_for("acme-post", "generic", max_retries=3)
    shipment_of(carrier="acme-post", number="AP5")
    fake_carrier.fail_next(401)
    result = carrier_poll(account=account, force=True)
    assert result["error"].startswith("PermanentCarrierError") and len(fake_carrier.requests) == 1
