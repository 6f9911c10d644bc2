"""Stock levels: which thresholds a change crosses, and updates that report them."""

import pytest
from django.core.exceptions import ValidationError

from inventory.models import StockLevel, StockThreshold
from inventory.services import crossed_thresholds, stock_level_update
from inventory.signals import stock_level_changed
from tests.domain.helpers import audit_rows
from tests.factories import ProductFactory, StockLevelFactory

T = StockThreshold


@pytest.mark.parametrize(
    "before, after, low, expected",
    [
        pytest.param(3, -1, 5, [T.BELOW_ZERO], id="low-to-negative"),
        pytest.param(0, -2, 5, [T.BELOW_ZERO], id="zero-to-negative"),
        pytest.param(-1, -3, 5, [], id="already-negative"),
        pytest.param(10, -1, 5, [T.BELOW_ZERO, T.LOW_STOCK], id="plenty-to-negative"),
        pytest.param(6, 5, 5, [T.LOW_STOCK], id="to-threshold"),
        pytest.param(6, 2, 5, [T.LOW_STOCK], id="below-threshold"),
        pytest.param(5, 4, 5, [], id="already-low"),
        pytest.param(7, 6, 5, [], id="still-above"),
        pytest.param(0, 3, 5, [T.BACK_IN_STOCK], id="zero-to-some"),
        pytest.param(-2, 10, 5, [T.BACK_IN_STOCK], id="negative-to-plenty"),
        pytest.param(-2, 0, 5, [], id="negative-to-zero"),
        pytest.param(2, 8, 5, [], id="low-to-plenty-was-in-stock"),
        pytest.param(4, 4, 5, [], id="unchanged"),
        pytest.param(1, 0, 0, [T.LOW_STOCK], id="zero-threshold-sold-out"),
    ],
)
def test_crossed_thresholds(before, after, low, expected):
    # given available stock moving from `before` to `after` with low-stock threshold `low`
    # then exactly the expected thresholds are crossed
    assert crossed_thresholds(before=before, after=after, low=low) == expected


@pytest.mark.django_db
def test_delta_update_sends_signal_with_crossed_thresholds(record_signal):
    # given 6 on hand, low-stock threshold 5
    level = StockLevelFactory(on_hand=6, low_stock_threshold=5)
    recorder = record_signal(stock_level_changed)
    # when 7 are taken
    updated, crossed = stock_level_update(product=level.product, delta=-7, actor="test")
    # then on hand is -1, and one signal says it went below zero and below the low-stock threshold
    assert updated.on_hand == -1
    assert crossed == [T.BELOW_ZERO, T.LOW_STOCK]
    assert len(recorder.calls) == 1
    call = recorder.calls[0]
    assert call["crossed"] == ["below_zero", "low_stock"]
    assert (call["previous_available"], call["available"]) == (6, -1)
    assert call["instance"].pk == level.pk
    # and one audit row records it
    assert [(r.from_state, r.to_state) for r in audit_rows(level)] == [("6", "-1")]


@pytest.mark.django_db
def test_restock_reports_back_in_stock(record_signal):
    # given a sold-out product
    level = StockLevelFactory(on_hand=0)
    recorder = record_signal(stock_level_changed)
    # when 20 arrive
    stock_level_update(product=level.product, delta=20)
    # then the signal says back in stock
    assert recorder.calls[0]["crossed"] == ["back_in_stock"]


@pytest.mark.django_db
def test_absolute_update_creates_missing_level_and_counts_reserved(record_signal):
    # given a product with no stock row yet
    product = ProductFactory()
    recorder = record_signal(stock_level_changed)
    # when the warehouse posts 12 on hand, 10 reserved
    level, crossed = stock_level_update(product=product, on_hand=12, reserved=10)
    # then available is 2: back in stock (from 0); rising to 2 does not "fall to" low stock
    assert (level.on_hand, level.reserved, level.available) == (12, 10, 2)
    assert StockLevel.objects.filter(product=product).count() == 1
    assert recorder.calls[0]["crossed"] == ["back_in_stock"]


@pytest.mark.django_db
@pytest.mark.parametrize("kwargs, field", [({}, "on_hand"), ({"on_hand": 3, "delta": 1}, "delta")])
def test_stock_update_needs_exactly_one_of_on_hand_and_delta(kwargs, field, record_signal):
    # given a product
    product = ProductFactory()
    recorder = record_signal(stock_level_changed)
    # when neither or both are given
    with pytest.raises(ValidationError) as excinfo:
        stock_level_update(product=product, **kwargs)
    # then it is refused with a message on the field, and nothing is sent
    assert field in excinfo.value.message_dict
    assert recorder.calls == []
