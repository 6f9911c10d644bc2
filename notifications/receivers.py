"""Signal receivers, connected in NotificationsConfig.ready(): each domain signal (orders, returns,
stock, and a customer's request for a fresh preference link) writes an Event row (the outbox) in
the sender's transaction and queues its processing on commit; the channels' receipts and inbound
messages go to their services."""

from catalogue import snapshots
from notifications.models import Event
from notifications.queueing import event_enqueue_on_commit


def _record(
    *, type_: str, subject_type: str, subject_id: int, payload: dict, brand_id=None, customer_id=None, order_id=None
) -> Event:
    event = Event.objects.create(
        type=type_,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload,
        brand_id=brand_id,
        customer_id=customer_id,
        order_id=order_id,
    )
    event_enqueue_on_commit(event.pk)
    return event


def _order_context(order) -> dict:
    return {
        "brand": snapshots.brand_snapshot(order.sales_channel.brand),
        "customer": snapshots.customer_snapshot(order.customer),
        "order": snapshots.order_snapshot(order),
    }


def on_order_status_changed(sender, instance, from_status, to_status, **kwargs):
    order = instance
    payload = {
        "event": f"order.{to_status}",
        "from_status": from_status,
        "to_status": to_status,
        **_order_context(order),
    }
    _record(
        type_=payload["event"],
        subject_type="order",
        subject_id=order.pk,
        payload=payload,
        brand_id=order.sales_channel.brand_id,
        customer_id=order.customer_id,
        order_id=order.pk,
    )


def on_shipment_status_changed(sender, instance, from_status, to_status, **kwargs):
    shipment, order = instance, instance.order
    payload = {
        "event": f"shipment.{to_status}",
        "from_status": from_status,
        "to_status": to_status,
        **_order_context(order),
        "shipment": snapshots.shipment_snapshot(shipment),
    }
    _record(
        type_=payload["event"],
        subject_type="shipment",
        subject_id=shipment.pk,
        payload=payload,
        brand_id=order.sales_channel.brand_id,
        customer_id=order.customer_id,
        order_id=order.pk,
    )


def on_order_line_backorder_changed(sender, instance, from_status, to_status, **kwargs):
    line, order = instance, instance.order
    level = getattr(line.product, "stock", None) if line.product_id else None
    payload = {
        "event": f"order_line.{to_status}",
        "from_status": from_status,
        "to_status": to_status,
        **_order_context(order),
        "line": snapshots.line_snapshot(line),
    }
    if line.product_id:
        payload["product"] = snapshots.product_snapshot(line.product, level)
    _record(
        type_=payload["event"],
        subject_type="order_line",
        subject_id=line.pk,
        payload=payload,
        brand_id=order.sales_channel.brand_id,
        customer_id=order.customer_id,
        order_id=order.pk,
    )


def on_return_status_changed(sender, instance, from_status, to_status, **kwargs):
    ret, order = instance, instance.order
    payload = {
        "event": f"return.{to_status}",
        "from_status": from_status,
        "to_status": to_status,
        **_order_context(order),
        "return": snapshots.return_snapshot(ret),
    }
    _record(
        type_=payload["event"],
        subject_type="return",
        subject_id=ret.pk,
        payload=payload,
        brand_id=order.sales_channel.brand_id,
        customer_id=order.customer_id,
        order_id=order.pk,
    )


def on_stock_level_changed(sender, instance, previous_available, available, crossed, **kwargs):
    product = instance.product
    for threshold in crossed:
        payload = {
            "event": f"stock.{threshold}",
            "from_status": str(previous_available),
            "to_status": str(available),
            "brand": snapshots.brand_snapshot(product.brand),
            "product": snapshots.product_snapshot(product, instance),
        }
        _record(
            type_=payload["event"],
            subject_type="stock",
            subject_id=product.pk,
            payload=payload,
            brand_id=product.brand_id,
        )


def on_preference_link_requested(sender, customer, **kwargs):
    payload = {
        "event": "customer.preference_link_requested",
        "brand": snapshots.brand_snapshot(customer.brand),
        "customer": snapshots.customer_snapshot(customer),
    }
    _record(
        type_=payload["event"],
        subject_type="customer",
        subject_id=customer.pk,
        payload=payload,
        brand_id=customer.brand_id,
        customer_id=customer.pk,
    )


def on_receipt_received(sender, receipt, **kwargs):
    from notifications.services.receipts import receipt_received

    receipt_received(receipt)


def on_inbound_received(sender, inbound, **kwargs):
    from notifications.services.inbound import inbound_receive

    inbound_receive(
        provider=inbound.provider,
        message_id=inbound.message_id,
        from_number=inbound.from_number,
        to_number=inbound.to_number,
        text=inbound.text,
        channel=inbound.channel,
    )


def connect():
    from channels.receipts import inbound_received, receipt_received
    from inventory.signals import stock_level_changed
    from orders.signals import order_line_backorder_changed, order_status_changed, shipment_status_changed
    from preferences.signals import preference_link_requested
    from returns.signals import return_status_changed

    order_status_changed.connect(on_order_status_changed, dispatch_uid="notifications.order")
    shipment_status_changed.connect(on_shipment_status_changed, dispatch_uid="notifications.shipment")
    order_line_backorder_changed.connect(on_order_line_backorder_changed, dispatch_uid="notifications.backorder")
    return_status_changed.connect(on_return_status_changed, dispatch_uid="notifications.return")
    stock_level_changed.connect(on_stock_level_changed, dispatch_uid="notifications.stock")
    preference_link_requested.connect(on_preference_link_requested, dispatch_uid="notifications.preference_link")
    # What providers tell us, parsed by the channels' webhooks.
    receipt_received.connect(on_receipt_received, dispatch_uid="notifications.receipt")
    inbound_received.connect(on_inbound_received, dispatch_uid="notifications.inbound")
