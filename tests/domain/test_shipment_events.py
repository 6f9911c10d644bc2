"""Carrier events: stored once, moving the shipment only when the event is not late and the move
is allowed; why one did not is kept with it; ETA slips raise delayed."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.transitions import InvalidTransition
from orders.models import Shipment, ShipmentEvent
from orders.services import shipment_event_record
from orders.signals import shipment_status_changed
from tests.domain.helpers import audit_rows
from tests.factories import ShipmentFactory

S = Shipment.Status
SCAN_AT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def shipped(db):
    return ShipmentFactory(status=S.SHIPPED)


def test_event_with_new_status_is_stored_and_moves_the_shipment(shipped, record_signal):
    # given a shipped shipment
    recorder = record_signal(shipment_status_changed)
    # when the carrier reports it in transit
    recorded = shipment_event_record(
        shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT", location="Memphis, TN"
    )
    # then the event is stored as applied and the shipment moved once
    assert recorded.created is True and recorded.event.applied is True
    assert recorded.event.not_applied_reason == ""
    shipped.refresh_from_db()
    assert shipped.status == S.IN_TRANSIT
    assert recorder.transitions() == [("shipped", "in_transit")]


def test_duplicate_event_is_a_no_op(shipped, record_signal):
    # given an event already recorded
    recorder = record_signal(shipment_status_changed)
    scan = dict(status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    first = shipment_event_record(shipment=shipped, **scan).event
    # when the carrier sends it again
    again = shipment_event_record(shipment=shipped, **scan)
    # then it is the same row, nothing new is stored and no second signal goes out
    assert (again.event.pk, again.created) == (first.pk, False)
    assert ShipmentEvent.objects.filter(shipment=shipped).count() == 1
    assert len(recorder.calls) == 1
    assert audit_rows(shipped).count() == 1


def test_duplicate_event_with_timestamp_in_another_time_zone_is_a_no_op(shipped, record_signal):
    # given an event recorded with a UTC timestamp
    recorder = record_signal(shipment_status_changed)
    shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    # when the same scan arrives again with the same instant written in another time zone
    same_instant = SCAN_AT.astimezone(ZoneInfo("America/Chicago"))
    again = shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=same_instant, carrier_code="IT")
    # then it is recognised as the same event
    assert again.created is False
    assert ShipmentEvent.objects.filter(shipment=shipped).count() == 1
    assert len(recorder.calls) == 1


def test_event_with_current_status_is_stored_without_a_transition(shipped, record_signal):
    # given a shipment in transit
    recorder = record_signal(shipment_status_changed)
    shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    eta = SCAN_AT + timedelta(days=2)
    # when a later scan reports "in transit" again at another hub, with a new ETA
    recorded = shipment_event_record(
        shipment=shipped,
        status=S.IN_TRANSIT,
        carrier_code="IT",
        occurred_at=SCAN_AT + timedelta(hours=6),
        location="Louisville, KY",
        estimated_delivery=eta,
    )
    # then the event is stored, not applied; no transition, no signal; the ETA is kept
    assert recorded.created is True and recorded.event.applied is False
    assert recorded.event.not_applied_reason == "same_status"
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


def test_late_event_is_stored_not_applied_and_keeps_the_eta(shipped, record_signal):
    # given a shipment out for delivery since a scan at SCAN_AT, with an ETA
    shipment_event_record(
        shipment=shipped,
        status=S.OUT_FOR_DELIVERY,
        occurred_at=SCAN_AT,
        carrier_code="OD",
        estimated_delivery=SCAN_AT + timedelta(hours=4),
    )
    recorder = record_signal(shipment_status_changed)
    # when an older in-transit scan arrives, with an ETA of its own
    recorded = shipment_event_record(
        shipment=shipped,
        status=S.IN_TRANSIT,
        carrier_code="IT",
        occurred_at=SCAN_AT - timedelta(hours=3),
        estimated_delivery=SCAN_AT + timedelta(days=3),
    )
    # then it is stored as late: no move, no signal, no audit row, the ETA unchanged
    assert recorded.created is True and recorded.delayed is False
    assert (recorded.event.applied, recorded.event.not_applied_reason) == (False, "late")
    assert recorder.calls == []
    shipped.refresh_from_db()
    assert shipped.status == S.OUT_FOR_DELIVERY
    assert shipped.estimated_delivery == SCAN_AT + timedelta(hours=4)
    assert audit_rows(shipped).count() == 1


def test_an_event_stored_as_not_allowed_does_not_make_older_ones_late(shipped):
    # given an in-transit scan applied, then a newer "label created" the shipment cannot go back to
    shipment_event_record(shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT")
    refused = shipment_event_record(
        shipment=shipped,
        status=S.LABEL_CREATED,
        carrier_code="LC",
        occurred_at=SCAN_AT + timedelta(hours=2),
        store_not_allowed=True,
    )
    assert refused.event.not_applied_reason == "not_allowed"
    # when a scan newer than the applied one but older than the refused one arrives
    recorded = shipment_event_record(
        shipment=shipped, status=S.OUT_FOR_DELIVERY, carrier_code="OD", occurred_at=SCAN_AT + timedelta(hours=1)
    )
    # then it is applied: only events the shipment took in count
    assert recorded.event.applied is True
    shipped.refresh_from_db()
    assert shipped.status == S.OUT_FOR_DELIVERY


@pytest.mark.django_db
def test_a_forbidden_move_from_a_carrier_is_stored_not_applied(record_signal):
    # given a delivered shipment
    shipment = ShipmentFactory(status=S.DELIVERED)
    recorder = record_signal(shipment_status_changed)
    # when a carrier (whose word is stored even when the shipment cannot follow) reports in transit
    recorded = shipment_event_record(
        shipment=shipment, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT", store_not_allowed=True
    )
    # then the event is kept as not allowed and nothing moves
    assert recorded.created is True
    assert (recorded.event.applied, recorded.event.not_applied_reason) == (False, "not_allowed")
    shipment.refresh_from_db()
    assert shipment.status == S.DELIVERED
    assert recorder.calls == []


def test_eta_slipping_past_the_threshold_moves_the_shipment_to_delayed(shipped, record_signal, settings):
    # given a shipped shipment due at SCAN_AT + 1 day, and a 24-hour slip threshold
    settings.ETA_SLIP_THRESHOLD_HOURS = 24
    Shipment.objects.filter(pk=shipped.pk).update(estimated_delivery=SCAN_AT + timedelta(days=1))
    recorder = record_signal(shipment_status_changed)
    # when an in-transit scan says it will arrive two days later than that
    new_eta = SCAN_AT + timedelta(days=3)
    recorded = shipment_event_record(
        shipment=shipped, status=S.IN_TRANSIT, occurred_at=SCAN_AT, carrier_code="IT", estimated_delivery=new_eta
    )
    # then the event is applied and the shipment moves on to delayed with the new date
    assert recorded.event.applied is True and recorded.delayed is True
    assert recorder.transitions() == [("shipped", "in_transit"), ("in_transit", "delayed")]
    shipped.refresh_from_db()
    assert (shipped.status, shipped.estimated_delivery) == (S.DELAYED, new_eta)
