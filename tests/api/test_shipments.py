"""Shipments and carrier events through the partner API: creation on an order, order status that
follows, duplicate events as no-ops with exact signal counts, late events stored but never
applied (nothing sent), 409s, filters and isolation."""

import pytest

from notifications.models import Event, Notification
from orders.models import Shipment, ShipmentEvent
from orders.signals import shipment_status_changed
from tests.factories import OrderFactory, ShipmentFactory
from tests.notifications.pipeline import instant_pipeline, run_pipeline

ORDERS, SHIPMENTS = "/api/v1/orders/", "/api/v1/shipments/"


@pytest.fixture
def shipment_signals():
    received = []

    def receiver(sender, instance, from_status, to_status, **kwargs):
        received.append((instance.pk, from_status, to_status))

    shipment_status_changed.connect(receiver, weak=False)
    yield received
    shipment_status_changed.disconnect(receiver)


def _event(status, at="2025-05-01T10:00:00Z", **extra):
    return {
        "status": status,
        "occurred_at": at,
        "carrier_code": "SCAN",
        "description": "Scanned",
        "location": "Memphis, TN",
        **extra,
    }


def test_shipment_for_some_lines_makes_the_order_partially_shipped(partner_client, create_order):
    # given an order with two lines
    order = create_order("1001")
    shoe = order["lines"][0]

    # when one line ships
    response = partner_client.post(
        f"{ORDERS}{order['id']}/shipments/",
        {
            "carrier": "ups",
            "tracking_number": "1Z1",
            "status": "shipped",
            "lines": [{"line_id": shoe["id"], "quantity": 2}],
        },
        format="json",
    )

    # then the shipment holds that line and the order follows it
    assert response.status_code == 201, response.json()
    assert response.json()["lines"] == [{"line_id": shoe["id"], "sku": "SHOE-1", "quantity": 2}]
    assert response.json()["status"] == "shipped"
    assert partner_client.get(f"{ORDERS}{order['id']}/").json()["status"] == "partially_shipped"


def test_post_shipments_with_order_id_and_repeat_returns_it(partner_client, create_order):
    # given an order
    order = create_order("1001")
    body = {"order": order["id"], "carrier": "dhl", "tracking_number": "JD01"}

    # when the shipment is posted twice
    first = partner_client.post(SHIPMENTS, body, format="json")
    again = partner_client.post(SHIPMENTS, body, format="json")

    # then one shipment exists and the order shows it
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Shipment.objects.count() == 1
    assert [s["id"] for s in partner_client.get(f"{ORDERS}{order['id']}/").json()["shipments"]] == [first.json()["id"]]


def test_shipment_validation(partner_client, create_order, foreign_channel):
    # given an order, and a foreign order
    order = create_order("1001")
    foreign = OrderFactory(sales_channel=foreign_channel)

    # when shipments are posted with bad lines, a foreign order, or missing fields
    bad_line = partner_client.post(
        f"{ORDERS}{order['id']}/shipments/",
        {
            "carrier": "ups",
            "tracking_number": "1Z2",
            "lines": [{"line_id": 999999, "quantity": 1}],
        },
        format="json",
    )
    too_many = partner_client.post(
        f"{ORDERS}{order['id']}/shipments/",
        {
            "carrier": "ups",
            "tracking_number": "1Z3",
            "lines": [{"line_id": order["lines"][1]["id"], "quantity": 5}],
        },
        format="json",
    )
    negative = partner_client.post(
        f"{ORDERS}{order['id']}/shipments/",
        {
            "carrier": "ups",
            "tracking_number": "1Z4",
            "lines": [{"line_id": order["lines"][1]["id"], "quantity": -1}],
        },
        format="json",
    )
    foreign_order = partner_client.post(
        SHIPMENTS, {"order": foreign.pk, "carrier": "ups", "tracking_number": "1Z5"}, format="json"
    )
    missing = partner_client.post(SHIPMENTS, {"order": order["id"]}, format="json")

    # then each is a 400 on its field, and nothing is created
    assert bad_line.status_code == 400
    assert bad_line.json()["fields"]["lines"] == ["Line 999999 is not a line of order 1001."]
    assert too_many.json()["fields"]["lines"] == [f"Line {order['lines'][1]['id']} (SOCK-1): at most 1, got 5."]
    assert negative.json()["fields"]["lines[0].quantity"] == ["Ensure this value is greater than or equal to 1."]
    assert foreign_order.status_code == 400
    assert foreign_order.json()["fields"]["order"] == [f"No order with id {foreign.pk} in your sales channels."]
    assert missing.json()["fields"]["carrier"] == ["This field is required."]
    assert missing.json()["fields"]["tracking_number"] == ["This field is required."]
    assert not Shipment.objects.exists()


def test_tracking_number_of_another_orders_shipment_is_400(partner_client, create_order):
    # given a shipment on one order
    first, second = create_order("1001"), create_order("1002")
    partner_client.post(SHIPMENTS, {"order": first["id"], "carrier": "ups", "tracking_number": "1Z9"}, format="json")

    # when the same carrier and tracking number is sent for another order
    response = partner_client.post(
        SHIPMENTS, {"order": second["id"], "carrier": "ups", "tracking_number": "1Z9"}, format="json"
    )

    # then it is refused, not silently attached to the first order
    assert response.status_code == 400
    assert "tracking_number" in response.json()["fields"]


def test_new_event_moves_the_shipment_and_a_duplicate_is_a_no_op(partner_client, create_order, shipment_signals):
    # given a shipment that has a label
    order = create_order("1001")
    shipment = partner_client.post(
        SHIPMENTS, {"order": order["id"], "carrier": "ups", "tracking_number": "1Z1"}, format="json"
    ).json()
    shipment_signals.clear()

    # when the carrier posts the same in-transit scan twice (once written in another time zone)
    first = partner_client.post(f"{SHIPMENTS}{shipment['id']}/events/", _event("in_transit"), format="json")
    again = partner_client.post(
        f"{SHIPMENTS}{shipment['id']}/events/", _event("in_transit", at="2025-05-01T05:00:00-05:00"), format="json"
    )

    # then one event is stored, the shipment moved once and one signal was sent
    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert first.json()["applied"] is True and first.json()["shipment_status"] == "in_transit"
    assert again.json()["id"] == first.json()["id"]
    assert ShipmentEvent.objects.count() == 1
    assert shipment_signals == [(shipment["id"], "label_created", "in_transit")]
    assert partner_client.get(f"{ORDERS}{order['id']}/").json()["status"] == "shipped"


def test_delivered_event_delivers_the_order(partner_client, create_order, shipment_signals):
    # given a whole-order shipment in transit
    order = create_order("1001")
    shipment = partner_client.post(
        SHIPMENTS,
        {"order": order["id"], "carrier": "ups", "tracking_number": "1Z1", "status": "in_transit"},
        format="json",
    ).json()

    # when the carrier reports it delivered
    response = partner_client.post(
        f"{SHIPMENTS}{shipment['id']}/events/", _event("delivered", at="2025-05-02T10:00:00Z"), format="json"
    )

    # then the shipment and the order are delivered
    assert response.status_code == 201
    assert partner_client.get(f"{SHIPMENTS}{shipment['id']}/").json()["status"] == "delivered"
    assert partner_client.get(f"{ORDERS}{order['id']}/").json()["status"] == "delivered"


def test_event_the_machine_forbids_is_409_and_stores_nothing(partner_client, create_order, shipment_signals):
    # given a delivered shipment
    order = create_order("1001")
    shipment = partner_client.post(
        SHIPMENTS,
        {"order": order["id"], "carrier": "ups", "tracking_number": "1Z1", "status": "delivered"},
        format="json",
    ).json()
    shipment_signals.clear()
    events_before = ShipmentEvent.objects.count()

    # when an in-transit scan arrives
    response = partner_client.post(f"{SHIPMENTS}{shipment['id']}/events/", _event("in_transit"), format="json")

    # then it is a 409 with no allowed states, no event is stored and no signal sent
    assert response.status_code == 409
    assert response.json()["current"] == "delivered" and response.json()["allowed"] == []
    assert ShipmentEvent.objects.count() == events_before
    assert shipment_signals == []


def _post_event(client, shipment: dict, status: str, at: str):
    return client.post(f"{SHIPMENTS}{shipment['id']}/events/", _event(status, at=at), format="json")


def _status_of(client, shipment: dict) -> str:
    return client.get(f"{SHIPMENTS}{shipment['id']}/").json()["status"]


def _out_for_delivery_at_13(client, create_order) -> dict:
    """A shipment scanned shipped at 08:00 and out for delivery at 13:00, its messages planned."""
    instant_pipeline()
    order = create_order("1001")
    body = {"order": order["id"], "carrier": "ups", "tracking_number": "1Z1"}
    shipment = client.post(SHIPMENTS, body, format="json").json()
    for status, at in [("shipped", "08:00"), ("out_for_delivery", "13:00")]:
        response = _post_event(client, shipment, status, at=f"2025-05-01T{at}:00Z")
        assert response.status_code == 201 and response.json()["applied"] is True, response.json()
    run_pipeline()
    return shipment


def test_late_exception_is_stored_not_applied_and_sends_nothing(partner_client, create_order, shipment_signals):
    # given a shipment shipped at 08:00 and out for delivery at 13:00
    shipment = _out_for_delivery_at_13(partner_client, create_order)
    shipment_signals.clear()
    events_before, notifications_before = Event.objects.count(), Notification.objects.count()

    # when the carrier's exception scan of 11:00 arrives after them
    response = _post_event(partner_client, shipment, "delivery_exception", "2025-05-01T11:00:00Z")
    run_pipeline()

    # then it is stored but not applied, as late: the shipment stays out for delivery
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["applied"], body["not_applied_reason"], body["shipment_status"]) == (False, "late", "out_for_delivery")
    assert ShipmentEvent.objects.get(pk=body["id"]).not_applied_reason == "late"
    assert _status_of(partner_client, shipment) == "out_for_delivery"
    # and no signal, no outbox event, no notification: the customer hears nothing about it
    assert shipment_signals == []
    assert Event.objects.count() == events_before
    assert not Event.objects.filter(type="shipment.delivery_exception").exists()
    assert Notification.objects.count() == notifications_before
    assert not Notification.objects.filter(notification_type__key="shipment_exception").exists()


def test_late_in_transit_never_moves_the_shipment_back(partner_client, create_order, shipment_signals):
    # given a shipment out for delivery at 13:00 (back to in transit is a move it may make)
    shipment = _out_for_delivery_at_13(partner_client, create_order)
    shipment_signals.clear()

    # when an in-transit scan of 10:00 arrives late
    response = _post_event(partner_client, shipment, "in_transit", at="2025-05-01T10:00:00Z")

    # then it is stored as late and the shipment does not go backwards
    assert response.status_code == 201
    assert (response.json()["applied"], response.json()["not_applied_reason"]) == (False, "late")
    assert _status_of(partner_client, shipment) == "out_for_delivery"
    assert shipment_signals == []


def test_exception_on_time_is_applied_and_notifies(partner_client, create_order, shipment_signals):
    # given a shipment shipped at 08:00 and out for delivery at 13:00
    shipment = _out_for_delivery_at_13(partner_client, create_order)
    shipment_signals.clear()

    # when the carrier's exception scan of 15:00 arrives
    response = _post_event(partner_client, shipment, "delivery_exception", "2025-05-01T15:00:00Z")
    run_pipeline()

    # then it is applied: the shipment moved once and the customer is told
    assert response.status_code == 201
    body = response.json()
    assert (body["applied"], body["not_applied_reason"], body["shipment_status"]) == (True, None, "delivery_exception")
    assert shipment_signals == [(shipment["id"], "out_for_delivery", "delivery_exception")]
    exceptions = Event.objects.filter(type="shipment.delivery_exception", subject_id=shipment["id"])
    assert exceptions.count() == 1
    assert Notification.objects.filter(notification_type__key="shipment_exception").count() == 1


def test_a_repeat_of_a_late_event_is_200_with_the_stored_event(partner_client, create_order):
    # given a late event already stored
    shipment = _out_for_delivery_at_13(partner_client, create_order)
    first = _post_event(partner_client, shipment, "in_transit", at="2025-05-01T10:00:00Z")

    # when the carrier sends it again
    again = _post_event(partner_client, shipment, "in_transit", at="2025-05-01T10:00:00Z")

    # then the answer is the stored event, still not applied
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["applied"], again.json()["not_applied_reason"]) == (False, "late")


def test_event_validation(partner_client, create_order):
    # given a shipment
    order = create_order("1001")
    shipment = partner_client.post(
        SHIPMENTS, {"order": order["id"], "carrier": "ups", "tracking_number": "1Z1"}, format="json"
    ).json()

    # when an event without a time and with an unknown status is posted
    response = partner_client.post(f"{SHIPMENTS}{shipment['id']}/events/", {"status": "lost_in_space"}, format="json")

    # then both fields are reported
    assert response.status_code == 400
    assert response.json()["fields"]["status"] == ['"lost_in_space" is not a valid choice.']
    assert response.json()["fields"]["occurred_at"] == ["This field is required."]


def test_shipment_filters_and_isolation(partner_client, create_order, foreign_channel):
    # given two shipments of the partner and one of a foreign channel
    order = create_order("1001")
    partner_client.post(SHIPMENTS, {"order": order["id"], "carrier": "ups", "tracking_number": "1Z1"}, format="json")
    partner_client.post(
        SHIPMENTS,
        {"order": order["id"], "carrier": "dhl", "tracking_number": "JD1", "status": "shipped"},
        format="json",
    )
    foreign = ShipmentFactory(order=OrderFactory(sales_channel=foreign_channel), carrier="ups")

    def numbers(**params):
        return {s["tracking_number"] for s in partner_client.get(SHIPMENTS, params).json()["results"]}

    # then the filters narrow the partner's shipments and the foreign one never shows
    assert numbers() == {"1Z1", "JD1"}
    assert numbers(carrier="UPS") == {"1Z1"}
    assert numbers(status="shipped") == {"JD1"}
    assert numbers(tracking_number=foreign.tracking_number) == set()
    assert partner_client.get(f"{SHIPMENTS}{foreign.pk}/").status_code == 404
    event = partner_client.post(f"{SHIPMENTS}{foreign.pk}/events/", _event("in_transit"), format="json")
    assert event.status_code == 404
