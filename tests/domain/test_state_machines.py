"""Every allowed and every forbidden transition of every state machine.

The pairs are generated from the machine maps themselves, so a state added to a model or a map
is tested (or fails the coverage test) without touching this file.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import TextChoices
from django.dispatch import Signal

from core.transitions import InvalidTransition, StateMachine
from orders import signals as order_signals
from orders.models import Order, OrderLine, Shipment
from orders.services import (
    BACKORDER_MACHINE,
    ORDER_MACHINE,
    SHIPMENT_MACHINE,
    order_line_backorder_transition,
    order_transition,
    shipment_transition,
)
from returns.models import ReturnRequest
from returns.services import REQUIRED_FIELDS, RETURN_MACHINE, return_transition
from returns.signals import return_status_changed
from tests.domain.helpers import audit_rows
from tests.factories import OrderFactory, OrderLineFactory, ReturnRequestFactory, ShipmentFactory

# Sample values for the fields a return milestone requires.
RETURN_FIELD_VALUES = {
    "return_tracking_number": "1ZRETURN0001",
    "inspection_result": ReturnRequest.Inspection.ACCEPTED,
    "refund_amount": Decimal("59.90"),
}


@dataclass(frozen=True)
class Machine:
    name: str
    sm: StateMachine
    choices: type[TextChoices]
    signal: Signal
    make: Callable[[str], object]  # builds a row in the given state
    move: Callable[[object, str], object]  # calls the transition service

    def pairs(self):
        states = list(self.choices.values)
        allowed = [(a, b) for a in states for b in states if b in self.sm.transitions.get(a, ())]
        forbidden = [(a, b) for a in states for b in states if b not in self.sm.transitions.get(a, ())]
        return allowed, forbidden


def _return_move(ret, to):
    fields = {f: RETURN_FIELD_VALUES[f] for f in REQUIRED_FIELDS.get(to, ())}
    return return_transition(return_request=ret, to_status=to, actor="test", **fields)


MACHINES = [
    Machine(
        "order",
        ORDER_MACHINE,
        Order.Status,
        order_signals.order_status_changed,
        make=lambda s: OrderFactory(status=s),
        move=lambda o, to: order_transition(order=o, to_status=to, actor="test"),
    ),
    Machine(
        "shipment",
        SHIPMENT_MACHINE,
        Shipment.Status,
        order_signals.shipment_status_changed,
        make=lambda s: ShipmentFactory(status=s),
        move=lambda sh, to: shipment_transition(shipment=sh, to_status=to, actor="test"),
    ),
    Machine(
        "backorder",
        BACKORDER_MACHINE,
        OrderLine.Backorder,
        order_signals.order_line_backorder_changed,
        make=lambda s: OrderLineFactory(backorder_state=s),
        move=lambda line, to: order_line_backorder_transition(line=line, to_state=to, actor="test"),
    ),
    Machine(
        "return",
        RETURN_MACHINE,
        ReturnRequest.Status,
        return_status_changed,
        make=lambda s: ReturnRequestFactory(status=s),
        move=_return_move,
    ),
]


def _params(kind):
    out = []
    for m in MACHINES:
        allowed, forbidden = m.pairs()
        for a, b in allowed if kind == "allowed" else forbidden:
            out.append(pytest.param(m, a, b, id=f"{m.name}:{a}->{b}"))
    return out


@pytest.mark.parametrize("m", MACHINES, ids=lambda m: m.name)
def test_machine_map_covers_every_status_choice(m):
    # given the machine's map and its model's Status choices
    states = set(m.choices.values)
    # then every state has an entry (final states map to nothing) and every target is a real state
    assert set(m.sm.transitions) == states
    for source, targets in m.sm.transitions.items():
        assert targets <= states, f"{m.name} {source} -> unknown {targets - states}"
    # and every non-initial state can be reached
    reachable = set().union(*m.sm.transitions.values())
    initial = m.choices.values[0]
    assert states - reachable <= {initial}


@pytest.mark.django_db
@pytest.mark.parametrize("m, current, target", _params("allowed"))
def test_allowed_transition_moves_audits_and_signals_once(m, current, target, record_signal):
    # given a row in `current`
    obj = m.make(current)
    recorder = record_signal(m.signal)

    # when it is moved to an allowed `target`
    m.move(obj, target)

    # then the row is in `target` in the database
    obj.refresh_from_db()
    assert getattr(obj, m.sm.field) == target
    # and exactly one audit row records the move
    rows = list(audit_rows(obj))
    assert [(r.from_state, r.to_state, r.actor) for r in rows] == [(current, target, "test")]
    # and the signal was sent exactly once, for this row, with from/to
    assert len(recorder.calls) == 1
    call = recorder.calls[0]
    assert (call["from_status"], call["to_status"]) == (current, target)
    assert call["instance"].pk == obj.pk
    assert call["actor"] == "test"


@pytest.mark.django_db
@pytest.mark.parametrize("m, current, target", _params("forbidden"))
def test_forbidden_transition_raises_and_changes_nothing(m, current, target, record_signal):
    # given a row in `current`
    obj = m.make(current)
    recorder = record_signal(m.signal)

    # when it is moved to a `target` the map forbids
    with pytest.raises(InvalidTransition) as excinfo:
        m.move(obj, target)

    # then the error names the allowed next states
    allowed = sorted(m.sm.transitions[current])
    assert excinfo.value.allowed == allowed
    message = str(excinfo.value)
    assert f"'{current}'" in message and f"'{target}'" in message
    if allowed:
        assert all(state in message for state in allowed)
    else:
        assert "none (final state)" in message
    # and nothing changed: status, audit trail, signals
    obj.refresh_from_db()
    assert getattr(obj, m.sm.field) == current
    assert not audit_rows(obj).exists()
    assert recorder.calls == []


@pytest.mark.django_db
@pytest.mark.parametrize("m", MACHINES, ids=lambda m: m.name)
def test_unknown_target_state_is_forbidden(m, record_signal):
    # given a row in its initial state
    initial = m.choices.values[0]
    obj = m.make(initial)
    recorder = record_signal(m.signal)
    # when it is moved to a state that does not exist
    with pytest.raises(InvalidTransition):
        m.move(obj, "teleported")
    # then nothing changed
    obj.refresh_from_db()
    assert getattr(obj, m.sm.field) == initial
    assert recorder.calls == []
