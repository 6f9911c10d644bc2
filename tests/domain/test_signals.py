"""Domain signals: once per committed transition, never for a rolled-back one; creation signals."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Order, OrderLine
from orders.services import LineInput, order_create, order_transition
from orders.signals import order_line_backorder_changed, order_status_changed
from tests.domain.helpers import audit_rows
from tests.factories import CustomerFactory, OrderFactory, SalesChannelFactory


class Boom(Exception):
    pass


@pytest.fixture
def on_commit_receiver():
    """A receiver that, like the notifications outbox, acts only via ``transaction.on_commit``."""
    seen = []

    def receiver(sender, instance, from_status, to_status, **kwargs):
        transaction.on_commit(lambda: seen.append((instance.pk, from_status, to_status)))

    order_status_changed.connect(receiver, weak=False, dispatch_uid="test-on-commit-receiver")
    yield seen
    order_status_changed.disconnect(dispatch_uid="test-on-commit-receiver")


def _order_kwargs(channel, external_id="A-1", backordered=False):
    return dict(
        sales_channel=channel,
        external_id=external_id,
        customer=CustomerFactory(brand=channel.brand),
        lines=[LineInput(sku="SKU-1", quantity=2, unit_price=Decimal("10.00"), backordered=backordered)],
    )


@pytest.mark.django_db
def test_committed_transition_reaches_on_commit_receiver_once(on_commit_receiver, django_capture_on_commit_callbacks):
    # given a placed order
    order = OrderFactory()
    # when it moves to processing and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=order, to_status=Order.Status.PROCESSING)
    # then the on-commit receiver ran exactly once with from/to
    assert on_commit_receiver == [(order.pk, "placed", "processing")]


@pytest.mark.django_db
def test_rolled_back_transition_changes_nothing_and_reaches_no_receiver(
    on_commit_receiver, django_capture_on_commit_callbacks
):
    # given a placed order
    order = OrderFactory()
    # when it is moved inside a transaction that then fails
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom):
            with transaction.atomic():
                order_transition(order=order, to_status=Order.Status.PROCESSING)
                raise Boom
    # then the database is unchanged and no on-commit receiver ran
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert not audit_rows(order).exists()
    assert callbacks == []
    assert on_commit_receiver == []


@pytest.mark.django_db(transaction=True)
def test_real_commit_and_real_rollback(on_commit_receiver):
    # given a placed order, in a test where transactions really commit
    order = OrderFactory()

    # when one move is rolled back
    with pytest.raises(Boom):
        with transaction.atomic():
            order_transition(order=order, to_status=Order.Status.PROCESSING)
            raise Boom
    # then nothing happened
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert on_commit_receiver == []

    # when the next move commits (autocommit: the service's own transaction)
    order_transition(order=order, to_status=Order.Status.CANCELLED)
    # then the receiver saw exactly that one move
    assert on_commit_receiver == [(order.pk, "placed", "cancelled")]
    assert [(r.from_state, r.to_state) for r in audit_rows(order)] == [("placed", "cancelled")]


@pytest.mark.django_db
def test_order_create_sends_placed_once_and_repeat_sends_nothing(record_signal):
    # given a sales channel and a recorder on order_status_changed
    channel = SalesChannelFactory()
    recorder = record_signal(order_status_changed)
    kwargs = _order_kwargs(channel)

    # when the order is created
    order, created = order_create(**kwargs)
    # then one order with its line exists and the signal went out once: None -> placed
    assert created is True
    assert recorder.transitions() == [(None, "placed")]
    assert recorder.calls[0]["instance"].pk == order.pk
    assert [r.action for r in audit_rows(order)] == ["created"]

    # when the same external id is created again
    again, created_again = order_create(**kwargs)
    # then it returns the first order, creates nothing and sends nothing
    assert (again.pk, created_again) == (order.pk, False)
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1
    assert len(recorder.calls) == 1
    assert audit_rows(order).count() == 1


@pytest.mark.django_db
def test_order_create_with_backordered_line_sends_backorder_signal(record_signal):
    # given a channel and a recorder on the backorder signal
    channel = SalesChannelFactory()
    recorder = record_signal(order_line_backorder_changed)
    # when an order with a backordered line is created
    order, _ = order_create(**_order_kwargs(channel, backordered=True))
    # then the line is backordered, once
    line = order.lines.get()
    assert line.backorder_state == OrderLine.Backorder.BACKORDERED
    assert recorder.transitions() == [("none", "backordered")]


@pytest.mark.django_db
def test_order_create_rolled_back_by_caller_sends_nothing_after_commit(
    on_commit_receiver, django_capture_on_commit_callbacks
):
    # given a channel
    channel = SalesChannelFactory()
    # when an order is created inside a transaction that then fails
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom):
            with transaction.atomic():
                order_create(**_order_kwargs(channel))
                raise Boom
    # then no order exists and the receiver never ran
    assert not Order.objects.exists()
    assert on_commit_receiver == []


@pytest.mark.django_db
def test_order_create_surfaces_an_unrelated_integrity_error():
    # given a line the database refuses (a negative quantity breaks its CHECK constraint)
    kwargs = _order_kwargs(SalesChannelFactory())
    kwargs["lines"] = [LineInput(sku="SKU-1", quantity=-1, unit_price=Decimal("10.00"))]
    # when the order is created
    with pytest.raises(IntegrityError):
        order_create(**kwargs)
    # then the real error surfaces (not a "does not exist" from the duplicate path), nothing is kept
    assert not Order.objects.exists()
