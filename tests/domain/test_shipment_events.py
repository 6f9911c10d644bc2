"""Carrier events: stored once, moving the shipment only when the status changes and is allowed."""
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest

from core.transitions import InvalidTransition
from orders.models import Shipment, ShipmentEvent
from orders.services import shipment_event_record
from orders.signals import shipment_status_changed
from tests.factories import ShipmentFactory

from .helpers import audit_rows

S = Shipment.Status
SCAN_AT = datetime(2026, 3, 2, 14, 30, tzinfo=dt_timezone.utc)


@pytest.fixture
def shipped(db):
    return ShipmentFactory(status=S.SHIPPED)


def test_event_with_new_status_is_stored_and_moves_the_shipment(shipped, record_signal):
    # given a shipped shipment
    recorder = record_signal(shipment_status_changed)
    # when the carrier reports it in transit
    event, created = shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT,
                                           carrier_code="IT", location="Memphis, TN")
    # then the event is stored as applied and the shipment moved once
    assert created is True and event.applied is True
    shipped.refresh_from_db()
    assert shipped.status == S.IN_TRANSIT
    assert recorder.transitions() == [("shipped", "in_transit")]


def test_duplicate_event_is_a_no_op(shipped, record_signal):
    # given an event already recorded
    recorder = record_signal(shipment_status_changed)
    scan = dict(status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    first, _ = shipment_event_record(shipment=shipped, **scan)
    # when the carrier sends it again
    again, created = shipment_event_record(shipment=shipped, **scan)
    # then it is the same row, nothing new is stored and no second signal goes out
    assert (again.pk, created) == (first.pk, False)
    assert ShipmentEvent.objects.filter(shipment=shipped).count() == 1
    assert len(recorder.calls) == 1
    assert audit_rows(shipped).count() == 1


def test_duplicate_event_with_timestamp_in_another_time_zone_is_a_no_op(shipped, record_signal):
    # given an event recorded with a UTC timestamp
    recorder = record_signal(shipment_status_changed)
    shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    # when the same scan arrives again with the same instant written in another time zone
    same_instant = SCAN_AT.astimezone(ZoneInfo("America/Chicago"))
    _, created = shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=same_instant,
                                       carrier_code="IT")
    # then it is recognised as the same event
    assert created is False
    assert ShipmentEvent.objects.filter(shipment=shipped).count() == 1
    assert len(recorder.calls) == 1


def test_event_with_current_status_is_stored_without_a_transition(shipped, record_signal):
    # given a shipment in transit
    recorder = record_signal(shipment_status_changed)
    shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    eta = SCAN_AT + timedelta(days=2)
    # when a later scan reports "in transit" again at another hub, with a new ETA
    event, created = shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, carrier_code="IT",
                                           occurred_at=SCAN_AT + timedelta(hours=6),
                                           location="Louisville, KY", estimated_delivery=eta)
    # then the event is stored, not applied; no transition, no signal; the ETA is kept
    assert created is True and event.applied is False
    assert ShipmentEvent.objects.filter(shipment=shipped).count() == 2
    assert len(recorder.calls) == 1
    assert audit_rows(shipped).count() == 1
    shipped.refresh_from_db()
    assert shipped.status == S.IN_TRANSIT
    assert shipped.estimated_delivery == eta


@pytest.mark.django_db
def test_event_with_forbidden_status_raises_and_stores_nothing(record_signal):
    # given a delivered shipment (a final state)
    shipment = ShipmentFactory(status=S.DELIVERED)
    recorder = record_signal(shipment_status_changed)
    # when a late "in transit" scan arrives
    with pytest.raises(InvalidTransition) as excinfo:
        shipment_event_record(shipment=shipment, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    # then it is refused, nothing is stored, nothing moves
    assert excinfo.value.allowed == []
    assert not ShipmentEvent.objects.exists()
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert recorder.calls == []
    assert not audit_rows(shipment).exists()
