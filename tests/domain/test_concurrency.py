"""Races on PostgreSQL: real threads, real connections, real row locks and unique constraints.

Each thread uses its own database connection and closes it when done. A ``threading.Barrier``
releases the threads together so they really collide.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from customers.models import Customer, CustomerIdentity
from customers.services import customer_upsert
from inventory.models import StockLevel
from inventory.services import stock_level_update
from orders.models import Order, OrderLine, Shipment
from orders.services import LineInput, order_create, shipment_create
from tests.domain.helpers import audit_rows
from tests.factories import (
    CustomerFactory,
    OrderLineFactory,
    ProductFactory,
    SalesChannelFactory,
    StockLevelFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(n, fn):
    """Run ``fn(i)`` in ``n`` threads released at once; return their results, re-raise any error."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def worker(i):
        try:
            barrier.wait(timeout=10)
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_order_create_with_same_external_id_creates_one_order(round_):
    # given a channel and a customer
    channel = SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand)
    lines = [
        LineInput(sku="SKU-1", quantity=1, unit_price=Decimal("9.99")),
        LineInput(sku="SKU-2", quantity=2, unit_price=Decimal("5.00")),
    ]

    # when two requests create the same order at the same moment
    results = run_together(
        2, lambda i: order_create(sales_channel=channel, external_id=f"R{round_}", customer=customer, lines=lines)
    )

    # then exactly one order (with its two lines) exists, both got it, and one of them created it
    order = Order.objects.get()
    assert OrderLine.objects.filter(order=order).count() == 2
    assert [o.pk for o, _ in results] == [order.pk, order.pk]
    assert sorted(created for _, created in results) == [False, True]


def test_concurrent_stock_decrements_never_lose_an_update():
    # given 200 on hand
    threads, per_thread = 8, 25
    level = StockLevelFactory(on_hand=threads * per_thread, low_stock_threshold=5)

    # when 8 threads each take one item 25 times, all at once
    def take(_):
        for _ in range(per_thread):
            stock_level_update(product=level.product, delta=-1)

    run_together(threads, take)

    # then every decrement counted: nothing is left, and each is audited
    level.refresh_from_db()
    assert level.on_hand == 0
    assert audit_rows(level).count() == threads * per_thread


def test_concurrent_stock_decrements_on_a_product_without_a_level_row():
    # given a product whose stock row does not exist yet
    product = ProductFactory()

    # when 4 threads each take one item 10 times, all at once
    def take(_):
        for _ in range(10):
            stock_level_update(product=product, delta=-1)

    run_together(4, take)

    # then one row exists and all 40 decrements counted
    assert StockLevel.objects.get(product=product).on_hand == -40


def test_concurrent_customer_upsert_creates_one_customer():
    # given a channel
    channel = SalesChannelFactory()

    # when two calls upsert the same identity at the same moment
    results = run_together(
        2,
        lambda i: customer_upsert(
            sales_channel=channel, external_id="c-42", data={"name": "Ana", "phone": "+14155550123"}
        ),
    )

    # then one customer with one identity exists, and both calls returned it
    customer = Customer.objects.get()
    assert CustomerIdentity.objects.get().customer_id == customer.pk
    assert [c.pk for c, _ in results] == [customer.pk, customer.pk]
    assert sorted(created for _, created in results) == [False, True]


def test_concurrent_shipment_create_with_same_tracking_number_creates_one_shipment():
    # given an order with one line
    line = OrderLineFactory(quantity=1)

    # when the carrier's webhook and the shop both add the same shipment at the same moment
    def add(_):
        return shipment_create(
            order=line.order, carrier="ups", tracking_number="1ZRACE", lines=[(line, 1)], status=Shipment.Status.SHIPPED
        )

    results = run_together(2, add)

    # then one shipment exists, both got it, and the order is shipped
    shipment = Shipment.objects.get()
    assert [s.pk for s, _ in results] == [shipment.pk, shipment.pk]
    assert sorted(created for _, created in results) == [False, True]
    line.order.refresh_from_db()
    assert line.order.status == Order.Status.SHIPPED
