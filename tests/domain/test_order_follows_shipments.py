"""An order's status follows its shipments, through the transition services."""

import pytest
from django.core.exceptions import ValidationError

from orders.models import Order, Shipment
from orders.services import shipment_create, shipment_transition
from orders.signals import order_status_changed
from tests.domain.helpers import audit_rows
from tests.factories import OrderFactory, OrderLineFactory


@pytest.fixture
def order_with_two_lines(db):
    order = OrderFactory()
    lines = [OrderLineFactory(order=order, quantity=2), OrderLineFactory(order=order, quantity=1)]
    return order, lines


def _ship(order, lines, n, status=Shipment.Status.SHIPPED):
    shipment, _ = shipment_create(
        order=order, carrier="ups", tracking_number=f"1Z{order.pk}-{n}", lines=lines, status=status
    )
    return shipment


def _order_moves(order):
    return [(r.from_state, r.to_state) for r in audit_rows(order) if r.action == "status_changed"]


def test_one_shipment_of_all_lines_shipped_ships_the_order(order_with_two_lines, record_signal):
    # given an order with two lines
    order, (a, b) = order_with_two_lines
    recorder = record_signal(order_status_changed)
    # when one shipment carrying all of both lines ships
    _ship(order, [(a, 2), (b, 1)], 1)
    # then the order is shipped, in one move, with one signal
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert _order_moves(order) == [("placed", "shipped")]
    assert recorder.transitions() == [("placed", "shipped")]


def test_shipment_of_some_lines_partially_ships_the_order(order_with_two_lines):
    # given an order with two lines
    order, (a, b) = order_with_two_lines
    # when a shipment with only part of the first line ships
    _ship(order, [(a, 1)], 1)
    # then the order is partially shipped
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED


def test_shipment_still_at_label_created_does_not_move_the_order(order_with_two_lines):
    # given an order
    order, (a, b) = order_with_two_lines
    # when a label is created for all its lines but nothing shipped yet
    _ship(order, [(a, 2), (b, 1)], 1, status=Shipment.Status.LABEL_CREATED)
    # then the order stays placed
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_second_shipment_completes_the_order_then_all_delivered_delivers_it(order_with_two_lines, record_signal):
    # given an order partially shipped by a first shipment
    order, (a, b) = order_with_two_lines
    first = _ship(order, [(a, 2)], 1)
    recorder = record_signal(order_status_changed)

    # when the second shipment with the rest ships
    second = _ship(order, [(b, 1)], 2)
    # then the order is shipped
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    # when only the first is delivered
    shipment_transition(shipment=first, to_status=Shipment.Status.DELIVERED)
    # then the order is still shipped
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    # when the second is delivered too
    shipment_transition(shipment=second, to_status=Shipment.Status.DELIVERED)
    # then the order is delivered, and each order move was signalled once
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert recorder.transitions() == [("partially_shipped", "shipped"), ("shipped", "delivered")]


def test_shipment_delivered_straight_from_label_moves_order_shipped_then_delivered(order_with_two_lines, record_signal):
    # given an order with a shipment of all its lines, label created
    order, (a, b) = order_with_two_lines
    shipment = _ship(order, [(a, 2), (b, 1)], 1, status=Shipment.Status.LABEL_CREATED)
    recorder = record_signal(order_status_changed)
    # when the carrier's first scan is already "delivered"
    shipment_transition(shipment=shipment, to_status=Shipment.Status.DELIVERED)
    # then the order is delivered, passing only through states that were true (never
    # "partially shipped" or "processing", which would notify the customer of something false)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert recorder.transitions() == [("placed", "shipped"), ("shipped", "delivered")]


def test_shipment_without_lines_carries_the_whole_order(order_with_two_lines):
    # given an order with two lines
    order, _ = order_with_two_lines
    # when a shipment that lists no lines ships
    _ship(order, [], 1)
    # then the whole order is shipped
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_cancelled_order_is_not_moved_by_its_shipments(order_with_two_lines, record_signal):
    # given a cancelled order
    order, (a, b) = order_with_two_lines
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    recorder = record_signal(order_status_changed)
    # when a shipment of all its lines ships and is delivered
    shipment = _ship(order, [(a, 2), (b, 1)], 1)
    shipment_transition(shipment=shipment, to_status=Shipment.Status.DELIVERED)
    # then the order stays cancelled and no order signal was sent
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert recorder.calls == []


def test_returned_to_sender_never_moves_the_order_backwards(order_with_two_lines):
    # given a shipped order
    order, (a, b) = order_with_two_lines
    shipment = _ship(order, [(a, 2), (b, 1)], 1)
    # when its shipment is returned to sender
    shipment_transition(shipment=shipment, to_status=Shipment.Status.RETURNED_TO_SENDER)
    # then the order stays shipped
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_shipment_create_is_idempotent_per_carrier_and_tracking_number(order_with_two_lines):
    # given a shipment
    order, (a, b) = order_with_two_lines
    first = _ship(order, [(a, 2)], 1)
    # when the same carrier and tracking number is added again
    again, created = shipment_create(
        order=order,
        carrier="ups",
        tracking_number=first.tracking_number,
        lines=[(a, 2)],
        status=Shipment.Status.SHIPPED,
    )
    # then the first shipment is returned and nothing is created
    assert (again.pk, created) == (first.pk, False)
    assert order.shipments.count() == 1


def test_shipment_create_refuses_a_tracking_number_of_another_order(order_with_two_lines):
    # given a shipment on one order
    order, (a, b) = order_with_two_lines
    first = _ship(order, [(a, 2)], 1)
    other = OrderFactory()
    # when another order claims the same carrier and tracking number
    with pytest.raises(ValidationError) as excinfo:
        shipment_create(order=other, carrier="ups", tracking_number=first.tracking_number)
    # then it is refused (not handed the other order's shipment) and nothing is created
    assert first.tracking_number in str(excinfo.value)
    assert not other.shipments.exists()
