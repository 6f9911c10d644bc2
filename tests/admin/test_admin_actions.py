"""Admin actions change statuses only through the transition services (audited), report each
object's outcome, and leave a forbidden move's object untouched."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from core.models import AuditLog
from inventory.models import StockLevel
from orders.models import Order, OrderLine, Shipment
from returns.models import ReturnRequest
from tests.admin.conftest import management_forms, messages_of
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, ReturnRequestFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def audit_rows(obj):
    return AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))


def test_mark_processing_moves_orders_through_the_service(post_action, superuser):
    # Given two placed orders
    orders = OrderFactory.create_batch(2)

    # When an agent runs "Mark processing" on them
    response = post_action(Order, "mark_processing", orders)

    # Then both are processing, each with an audit row naming the agent, and each is reported
    assert response.status_code == 302
    for order in orders:
        order.refresh_from_db()
        assert order.status == Order.Status.PROCESSING
        row = audit_rows(order).get(action="status_changed")
        assert (row.from_state, row.to_state, row.actor) == ("placed", "processing", "user:agent")
    texts = [text for level, text in messages_of(response) if level == "success"]
    assert len(texts) == 2 and all("placed → processing" in t for t in texts)


def test_forbidden_action_leaves_status_unchanged_and_says_why(post_action):
    # Given a delivered order and a placed one
    delivered = OrderFactory(status=Order.Status.DELIVERED)
    placed = OrderFactory()

    # When an agent tries to cancel both
    response = post_action(Order, "mark_cancelled", [delivered, placed])

    # Then the delivered one is unchanged, with the service's error message, and no audit row
    delivered.refresh_from_db()
    assert delivered.status == Order.Status.DELIVERED
    assert not audit_rows(delivered).exists()
    errors = [text for level, text in messages_of(response) if level == "error"]
    assert errors == [
        f"{delivered}: Cannot move order from 'delivered' to 'cancelled'. Allowed next states: none (final state)."
    ]
    # And the placed one was cancelled
    placed.refresh_from_db()
    assert placed.status == Order.Status.CANCELLED


def test_shipment_actions_exist_for_every_target_status(admin_client_as):
    # Given the shipment admin
    from django.contrib import admin

    from orders.services import SHIPMENT_MACHINE

    shipment_admin = admin.site._registry[Shipment]
    request = admin_client_as.get("/admin/").wsgi_request
    # Then there is one action per status a shipment can move to
    names = set(shipment_admin.get_actions(request))
    targets = {t for nexts in SHIPMENT_MACHINE.transitions.values() for t in nexts}
    assert {f"mark_{t}" for t in targets} <= names


def test_shipment_action_moves_shipment_and_its_order(post_action):
    # Given a shipment with its label created, for an order being processed
    shipment = ShipmentFactory(order__status=Order.Status.PROCESSING)

    # When an agent marks it in transit
    post_action(Shipment, "mark_in_transit", [shipment])

    # Then the shipment is in transit (audited) and the order followed it to shipped
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT
    assert audit_rows(shipment).filter(to_state="in_transit").count() == 1
    assert Order.objects.get(pk=shipment.order_id).status == Order.Status.SHIPPED


def test_allocate_backordered_line(post_action):
    # Given a backordered line
    line = OrderLineFactory(backorder_state=OrderLine.Backorder.BACKORDERED)

    # When an agent allocates it
    post_action(OrderLine, "mark_allocated", [line])

    # Then it is allocated, with an audit row
    line.refresh_from_db()
    assert line.backorder_state == OrderLine.Backorder.ALLOCATED
    assert audit_rows(line).get().to_state == "allocated"


def test_return_approve_needs_no_form(post_action):
    # Given a requested return
    ret = ReturnRequestFactory()

    # When an agent approves it
    response = post_action(ReturnRequest, "mark_approved", [ret])

    # Then it is approved through the service
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnRequest.Status.APPROVED
    assert audit_rows(ret).get().actor == "user:agent"


def test_refund_asks_for_the_amount_on_an_intermediate_page(post_action):
    # Given a return whose refund is processing
    ret = ReturnRequestFactory(status=ReturnRequest.Status.REFUND_PROCESSING)

    # When an agent picks "Mark refunded"
    page = post_action(ReturnRequest, "mark_refunded", [ret])

    # Then a form asks for the refund amount, and nothing changed yet
    assert page.status_code == 200
    assert 'name="refund_amount"' in page.content.decode()
    ret.refresh_from_db()
    assert ret.status == ReturnRequest.Status.REFUND_PROCESSING

    # When the form is submitted without an amount
    again = post_action(ReturnRequest, "mark_refunded", [ret], apply="Apply")
    # Then the page says it is required and nothing changed
    assert again.status_code == 200
    assert "This field is required" in again.content.decode()

    # When it is submitted with the amount
    done = post_action(
        ReturnRequest, "mark_refunded", [ret], apply="Apply", refund_amount="49.90", reason="refund confirmed by PSP"
    )

    # Then the return is refunded with that amount, and the reason is in the audit trail
    assert done.status_code == 302
    ret.refresh_from_db()
    assert ret.status == ReturnRequest.Status.REFUNDED
    assert ret.refund_amount == Decimal("49.90")
    assert audit_rows(ret).get().reason == "refund confirmed by PSP"


def test_refund_form_runs_on_one_return_at_a_time(post_action):
    # Given two returns whose refunds are processing
    returns = ReturnRequestFactory.create_batch(2, status=ReturnRequest.Status.REFUND_PROCESSING)

    # When an agent picks "Mark refunded" on both
    response = post_action(ReturnRequest, "mark_refunded", returns)

    # Then they are told to pick one, and nothing changed
    assert response.status_code == 302
    assert any("Select exactly one return" in t for _, t in messages_of(response))
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == {"refund_processing"}


def test_forbidden_return_milestone_with_form_reports_the_error(post_action):
    # Given a requested return (it cannot be refunded yet)
    ret = ReturnRequestFactory()

    # When the refund form is submitted for it
    response = post_action(ReturnRequest, "mark_refunded", [ret], apply="Apply", refund_amount="10")

    # Then it stays requested and the service's message is shown
    ret.refresh_from_db()
    assert ret.status == ReturnRequest.Status.REQUESTED
    assert any(
        level == "error" and "Cannot move return from 'requested' to 'refunded'" in text
        for level, text in messages_of(response)
    )


def test_stock_delta_action_goes_through_stock_level_update(post_action):
    # Given a product with 10 on hand
    product = ProductFactory()
    StockLevel.objects.create(product=product, on_hand=10)

    # When an agent applies a delta of -4 to its stock level
    level = product.stock
    form = post_action(StockLevel, "apply_stock_delta", [level])
    assert form.status_code == 200 and 'name="delta"' in form.content.decode()
    response = post_action(StockLevel, "apply_stock_delta", [level], apply="Apply", delta="-4", reason="count")

    # Then on hand is 6 and the change is audited
    assert response.status_code == 302
    level.refresh_from_db()
    assert level.on_hand == 6
    row = audit_rows(level).get(action="stock_changed")
    assert (row.from_state, row.to_state, row.actor, row.reason) == ("10", "6", "user:agent", "count")


def test_stock_delta_from_products_creates_the_stock_level(post_action):
    # Given a product without a stock level
    product = ProductFactory()

    # When an agent applies +12 from the product list
    from inventory.models import Product

    post_action(Product, "apply_stock_delta", [product], apply="Apply", delta="12")

    # Then the product has 12 on hand
    assert StockLevel.objects.get(product=product).on_hand == 12


def test_stock_level_form_saves_threshold_through_the_service(admin_client_as):
    # Given a stock level
    level = StockLevel.objects.create(product=ProductFactory(), on_hand=10, low_stock_threshold=5)

    # When an agent changes its low-stock threshold (and tries to smuggle in on_hand)
    url = f"/admin/inventory/stocklevel/{level.pk}/change/"
    inlines = management_forms(admin_client_as.get(url))
    response = admin_client_as.post(url, {"low_stock_threshold": "8", "restock_eta": "", "on_hand": "999", **inlines})

    # Then the threshold changed through the service (audited) and on hand did not
    assert response.status_code == 302, response.content.decode()[:2000]
    level.refresh_from_db()
    assert (level.low_stock_threshold, level.on_hand) == (8, 10)
    assert audit_rows(level).filter(action="stock_changed", actor="user:agent").count() == 1


def test_audit_trail_is_read_only_and_visible_on_the_object(admin_client_as, post_action):
    # Given an order moved by an agent
    order = OrderFactory()
    post_action(Order, "mark_processing", [order])
    row = audit_rows(order).get()

    # When the audit row's pages are requested
    change = admin_client_as.get(f"/admin/core/auditlog/{row.pk}/change/")
    post = admin_client_as.post(f"/admin/core/auditlog/{row.pk}/change/", {"action": "tampered"})
    add = admin_client_as.get("/admin/core/auditlog/add/")
    delete = admin_client_as.get(f"/admin/core/auditlog/{row.pk}/delete/")

    # Then it can be viewed, not changed, added or deleted
    assert change.status_code == 200
    assert post.status_code == 403
    assert add.status_code == 403
    assert delete.status_code == 403
    row.refresh_from_db()
    assert row.action == "status_changed"
    # And the order's page shows its trail
    page = admin_client_as.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "audit trail" in page.lower() and "user:agent" in page
