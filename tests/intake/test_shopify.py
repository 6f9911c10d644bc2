"""Shopify webhooks in Shopify's documented JSON, signed with X-Shopify-Hmac-Sha256: stored raw
before the 202, processed by the intake task into customers, orders and shipments."""

import pytest

from channels.models import SandboxMessage
from console.agent import customer_search
from customers.models import Customer
from intake.models import IntakeRecord
from intake.services import intake_record_process, order_draft_receive
from intake.sources.shopify import order_draft
from notifications.models import Notification
from orders.models import Order, Shipment
from tests.intake.conftest import SECRET, process_received
from tests.intake.samples import SHOPIFY_FULFILLMENT, b64_hmac, body_of, shopify_order
from tests.notifications.pipeline import run_pipeline

pytestmark = pytest.mark.django_db
R = IntakeRecord.Status


def test_acceptance_1_order_then_fulfillment_notifies_shipped(
    channel_of, catalogue, pipeline, post_shopify, django_capture_on_commit_callbacks
):
    # given a Shopify channel set up with its secret
    shop = channel_of("shopify")

    # when Shopify posts orders/create, then fulfillments/create, correctly signed
    with django_capture_on_commit_callbacks(execute=False) as queued:
        created = post_shopify(shop, "orders/create", body_of(shopify_order()))
        fulfilled = post_shopify(shop, "fulfillments/create", body_of(SHOPIFY_FULFILLMENT))

    # then both are stored raw and acknowledged with 202, one processing task queued each
    assert (created.status_code, fulfilled.status_code) == (202, 202)
    assert IntakeRecord.objects.filter(status=R.RECEIVED).count() == 2
    assert len(queued) == 2
    stored = IntakeRecord.objects.get(topic="orders/create")
    assert stored.raw_body == body_of(shopify_order()).decode()
    assert stored.headers["X-Shopify-Topic"] == "orders/create"

    # when the intake worker processes them and the notification pipeline runs
    assert [r.status for r in process_received()] == [R.PROCESSED, R.PROCESSED]
    run_pipeline()

    # then the customer, the order and the shipment exist
    customer = Customer.objects.get(identities__sales_channel=shop, identities__external_id="7390328275179")
    assert (customer.name, customer.email, customer.phone, customer.language) == (
        "Jon Snow",
        "jon.snow@example.com",
        "+14155550123",
        "en-US",
    )
    order = Order.objects.get(sales_channel=shop, external_id="5837146652907")
    assert (order.customer, str(order.total), order.currency, order.status) == (customer, "202.24", "USD", "shipped")
    assert [(ln.sku, ln.quantity, str(ln.unit_price)) for ln in order.lines.all()] == [("TR-42-BLK", 2, "89.00")]
    assert order.shipping_address["city"] == "New York"
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == ("ups", "1Z999AA10123456784", "shipped")
    assert [sl.quantity for sl in shipment.shipmentline_set.all()] == [2]
    # and the customer got the "shipped" notification through the sandbox provider
    shipped = Notification.objects.get(customer=customer, notification_type__key="shipment_shipped")
    assert shipped.status == Notification.Status.DELIVERED
    assert SandboxMessage.objects.filter(delivery__notification=shipped, to=customer.email).count() == 1


def test_acceptance_1_wrong_hmac_is_rejected_and_nothing_stored(channel_of, post_shopify):
    shop = channel_of("shopify")
    body = body_of(shopify_order())

    wrong_secret = post_shopify(shop, "orders/create", body, secret="not-the-secret")
    # the body changed after signing: the signature of the original no longer matches
    tampered = post_shopify(shop, "orders/create", body.replace(b"202.24", b"0.01"), signature=b64_hmac(SECRET, body))
    unsigned = post_shopify(shop, "orders/create", body, signature="")

    assert (wrong_secret.status_code, tampered.status_code, unsigned.status_code) == (401, 401, 401)
    assert IntakeRecord.objects.count() == 0
    assert Order.objects.count() == 0


def test_a_repeated_delivery_is_stored_once_and_processing_twice_does_nothing_twice(
    channel_of, catalogue, post_shopify
):
    shop = channel_of("shopify")
    body = body_of(shopify_order())
    first = post_shopify(shop, "orders/create", body, webhook_id="same-delivery")
    again = post_shopify(shop, "orders/create", body, webhook_id="same-delivery")
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert IntakeRecord.objects.count() == 1

    record = process_received()[0]
    intake_record_process(record_id=record.pk)  # the task delivered twice
    assert Order.objects.count() == 1
    assert IntakeRecord.objects.get().attempts == 1

    # orders/updated for the same order (a new delivery) is a duplicate: a no-op
    post_shopify(shop, "orders/updated", body)
    updated = process_received()[0]
    assert updated.status == R.PROCESSED and updated.result["duplicate"] is True
    assert Order.objects.count() == 1


def test_fulfillment_before_its_order_waits_then_goes_through(channel_of, catalogue, post_shopify, settings):
    shop = channel_of("shopify")
    post_shopify(shop, "fulfillments/create", body_of(SHOPIFY_FULFILLMENT))
    [deferred] = process_received()
    assert deferred.status == R.RECEIVED  # retried by the sweeper, not a dead letter yet
    assert deferred.errors == [
        {"field": "order_id", "rule": "unknown_order", "message": "order 5837146652907 has not been received yet"}
    ]

    post_shopify(shop, "orders/create", body_of(shopify_order()))
    process_received()  # the fulfillment (oldest) waits once more, then the order goes in
    process_received()  # the sweeper's next round
    statuses = dict(IntakeRecord.objects.values_list("topic", "status"))
    assert statuses == {"fulfillments/create": R.PROCESSED, "orders/create": R.PROCESSED}
    assert Shipment.objects.get().order.external_id == "5837146652907"


def test_fulfillment_update_with_a_shipment_status_moves_the_shipment(channel_of, catalogue, post_shopify):
    shop = channel_of("shopify")
    post_shopify(shop, "orders/create", body_of(shopify_order()))
    post_shopify(shop, "fulfillments/create", body_of(SHOPIFY_FULFILLMENT))
    process_received()
    update = {**SHOPIFY_FULFILLMENT, "shipment_status": "delivered", "updated_at": "2025-05-03T15:00:00-04:00"}
    post_shopify(shop, "fulfillments/update", body_of(update))
    [record] = process_received()
    assert record.result["event"] == "applied"
    assert Shipment.objects.get().status == "delivered"
    assert Order.objects.get().status == "delivered"


def test_late_fulfillment_update_is_stored_but_never_moves_the_shipment_back(channel_of, catalogue, post_shopify):
    # given a Shopify shipment out for delivery since an update of 2025-05-03 08:00
    shop = channel_of("shopify")
    post_shopify(shop, "orders/create", body_of(shopify_order()))
    post_shopify(shop, "fulfillments/create", body_of(SHOPIFY_FULFILLMENT))
    process_received()
    out = {**SHOPIFY_FULFILLMENT, "shipment_status": "out_for_delivery", "updated_at": "2025-05-03T08:00:00-04:00"}
    post_shopify(shop, "fulfillments/update", body_of(out))
    process_received()
    # when an "in transit" update of the day before is delivered after it
    late = {**SHOPIFY_FULFILLMENT, "shipment_status": "in_transit", "updated_at": "2025-05-02T18:00:00-04:00"}
    post_shopify(shop, "fulfillments/update", body_of(late))
    [record] = process_received()
    # then it is stored as late and the shipment stays out for delivery
    assert record.result["event"] == "stored"
    shipment = Shipment.objects.get()
    assert shipment.status == "out_for_delivery"
    assert shipment.events.get(status="in_transit").not_applied_reason == "late"


def test_orders_cancelled_cancels_the_order(channel_of, catalogue, post_shopify):
    shop = channel_of("shopify")
    post_shopify(shop, "orders/create", body_of(shopify_order()))
    post_shopify(
        shop,
        "orders/cancelled",
        body_of(shopify_order(cancelled_at="2025-05-01T11:00:00-04:00", cancel_reason="customer")),
    )
    records = process_received()
    assert [r.status for r in records] == [R.PROCESSED, R.PROCESSED]
    assert records[1].result["cancelled"] is True
    assert Order.objects.get().status == "cancelled"


def test_unused_topics_are_acknowledged_but_not_stored(channel_of, post_shopify):
    shop = channel_of("shopify")
    response = post_shopify(shop, "products/update", b'{"id": 1}')
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert IntakeRecord.objects.count() == 0


def test_the_customer_reads_shopifys_order_name_and_updates_still_find_the_order(
    channel_of, catalogue, pipeline, post_shopify
):
    # given a Shopify order whose internal id is 6102938475610 and whose name is #1042
    shop = channel_of("shopify")
    order_payload = shopify_order(id=6102938475610, name="#1042", order_number=1042)
    fulfillment = {**SHOPIFY_FULFILLMENT, "order_id": 6102938475610}

    # when Shopify posts orders/create, fulfillments/create and orders/updated (cancelled)
    post_shopify(shop, "orders/create", body_of(order_payload))
    post_shopify(shop, "fulfillments/create", body_of(fulfillment))
    assert [r.status for r in process_received()] == [R.PROCESSED, R.PROCESSED]
    run_pipeline()

    # then the order's number is 1042, its external id the internal id, and the fulfillment found it
    order = Order.objects.get(sales_channel=shop)
    assert (order.number, order.external_id, str(order)) == ("1042", "6102938475610", "#1042")
    assert Shipment.objects.get().order == order
    # and the confirmation email says "#1042", never the internal id nor "##1042"
    confirmed = SandboxMessage.objects.get(delivery__notification__notification_type__key="order_confirmed")
    assert "#1042" in confirmed.subject + confirmed.body_text
    for text in (confirmed.subject, confirmed.body_text, confirmed.body_html):
        assert "6102938475610" not in text and "##1042" not in text
    # and the console's search finds the customer by 1042, #1042 and the internal id
    for query in ("1042", "#1042", "6102938475610"):
        assert customer_search(query) == [order.customer], query

    # when orders/updated comes for it
    post_shopify(shop, "orders/updated", body_of({**order_payload, "updated_at": "2025-05-02T12:00:00-04:00"}))
    [updated] = process_received()
    # then it finds the same order (no second one)
    assert (updated.status, updated.result["order_id"], Order.objects.count()) == (R.PROCESSED, order.pk, 1)


def test_a_shop_prefix_stays_in_the_number_and_without_a_name_order_number_is_used(channel_of, catalogue):
    shop = channel_of("shopify")
    order, _ = order_draft_receive(channel=shop, draft=order_draft(shopify_order(id=1, name="NW-1042-EU")), actor="t")
    assert order.number == "NW-1042-EU"
    nameless = shopify_order(id=2, order_number=1043)
    del nameless["name"]
    order, _ = order_draft_receive(channel=shop, draft=order_draft(nameless), actor="t")
    assert (order.number, order.external_id) == ("1043", "2")
