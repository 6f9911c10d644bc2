"""Returns: which quantities may be returned, what each milestone needs, idempotent creation."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from returns.models import ReturnLine, ReturnRequest
from returns.services import return_create, return_transition
from returns.signals import return_status_changed
from tests.domain.helpers import audit_rows
from tests.factories import OrderFactory, OrderLineFactory, ReturnRequestFactory

R = ReturnRequest.Status


@pytest.fixture
def order_line(db):
    return OrderLineFactory(quantity=2, unit_price=Decimal("25.00"))


def test_return_create_opens_a_return_with_its_estimate_and_signal(order_line, record_signal):
    # given an order line of two items
    recorder = record_signal(return_status_changed)
    # when one item is returned
    ret, created = return_create(order=order_line.order, lines=[(order_line, 1)], reason="Too small")
    # then the return is requested, estimated at the line price, audited and signalled once
    assert created is True
    assert ret.status == R.REQUESTED
    assert ret.refund_estimate == Decimal("25.00")
    assert recorder.transitions() == [(None, "requested")]
    assert [r.action for r in audit_rows(ret)] == ["created"]


@pytest.mark.parametrize("qty", [0, -1, 3])
def test_return_quantity_outside_what_was_ordered_is_rejected(order_line, qty):
    # given an order line of two items
    # when a return asks for an impossible quantity
    with pytest.raises(ValidationError) as excinfo:
        return_create(order=order_line.order, lines=[(order_line, qty)], reason="Too small")
    # then the message names the SKU and the most that can be returned; nothing is created
    message = excinfo.value.message_dict["lines"][0]
    assert order_line.sku in message and "at most 2" in message
    assert not ReturnRequest.objects.exists()


def test_quantity_already_in_another_return_counts_against_the_line(order_line):
    # given one of two items already being returned
    return_create(order=order_line.order, lines=[(order_line, 1)], reason="Too small")
    # when another return asks for two
    with pytest.raises(ValidationError) as excinfo:
        return_create(order=order_line.order, lines=[(order_line, 2)], reason="Changed my mind")
    # then it is told only one remains
    assert "at most 1" in excinfo.value.message_dict["lines"][0]
    assert ReturnRequest.objects.count() == 1


def test_rejected_return_frees_its_quantity(order_line):
    # given a return of both items that was rejected
    first, _ = return_create(order=order_line.order, lines=[(order_line, 2)], reason="Too small")
    return_transition(return_request=first, to_status=R.REJECTED, rejection_reason="Worn")
    # when a new return asks for both
    second, created = return_create(order=order_line.order, lines=[(order_line, 2)], reason="Too small")
    # then it is accepted
    assert created is True


def test_same_line_listed_twice_is_validated_as_one_total(order_line):
    # given an order line of two items
    # when a return lists the line twice, 2 + 1 items
    with pytest.raises(ValidationError) as excinfo:
        return_create(order=order_line.order, lines=[(order_line, 2), (order_line, 1)], reason="Too small")
    # then it is a validation error (not a database error), and nothing is created
    assert order_line.sku in " ".join(excinfo.value.message_dict["lines"])
    assert not ReturnRequest.objects.exists()


def test_line_of_another_order_is_rejected(order_line):
    # given a line from a different order
    other_line = OrderLineFactory()
    # when it is put on this order's return
    with pytest.raises(ValidationError) as excinfo:
        return_create(order=order_line.order, lines=[(other_line, 1)], reason="Too small")
    # then the message says it does not belong
    assert "does not belong" in excinfo.value.message_dict["lines"][0]


def test_return_without_lines_is_rejected(db):
    with pytest.raises(ValidationError) as excinfo:
        return_create(order=OrderFactory(), lines=[], reason="Too small")
    assert excinfo.value.message_dict == {"lines": ["A return needs at least one line."]}


def test_return_create_is_idempotent_on_external_id(order_line, record_signal):
    # given a return created with a partner's external id
    recorder = record_signal(return_status_changed)
    first, _ = return_create(order=order_line.order, lines=[(order_line, 1)], reason="Too small", external_id="RMA-7")
    # when the partner sends it again
    again, created = return_create(
        order=order_line.order, lines=[(order_line, 1)], reason="Too small", external_id="RMA-7"
    )
    # then the first return is returned, nothing is created, nothing is signalled
    assert (again.pk, created) == (first.pk, False)
    assert ReturnRequest.objects.count() == 1 and ReturnLine.objects.count() == 1
    assert len(recorder.calls) == 1


@pytest.mark.parametrize(
    "to_status, field, start",
    [
        (R.REFUNDED, "refund_amount", R.REFUND_PROCESSING),
        (R.LABEL_ISSUED, "return_tracking_number", R.APPROVED),
        (R.INSPECTED, "inspection_result", R.RECEIVED),
    ],
)
def test_milestone_without_its_required_field_is_rejected(db, to_status, field, start, record_signal):
    # given a return one step before the milestone
    ret = ReturnRequestFactory(status=start)
    recorder = record_signal(return_status_changed)
    # when it moves there without the field that milestone needs
    with pytest.raises(ValidationError) as excinfo:
        return_transition(return_request=ret, to_status=to_status)
    # then the field is named, and nothing changed
    assert excinfo.value.message_dict == {field: [f"Required when moving to '{to_status}'."]}
    ret.refresh_from_db()
    assert ret.status == start
    assert recorder.calls == []


def test_refunded_stores_the_refund_amount(db):
    # given a return whose refund is processing
    ret = ReturnRequestFactory(status=R.REFUND_PROCESSING)
    # when it is refunded with an amount
    return_transition(return_request=ret, to_status=R.REFUNDED, refund_amount=Decimal("49.90"))
    # then status and amount are saved together
    ret.refresh_from_db()
    assert (ret.status, ret.refund_amount) == (R.REFUNDED, Decimal("49.90"))


def test_field_that_the_milestone_does_not_carry_is_rejected(db):
    # given a requested return
    ret = ReturnRequestFactory(status=R.REQUESTED)
    # when it is approved with a refund amount
    with pytest.raises(ValidationError) as excinfo:
        return_transition(return_request=ret, to_status=R.APPROVED, refund_amount=Decimal("1"))
    # then the field is named as not belonging to that move
    assert excinfo.value.message_dict == {"refund_amount": ["Not set when moving to 'approved'."]}
    ret.refresh_from_db()
    assert ret.status == R.REQUESTED
