"""Shopify webhooks in Shopify's documented REST JSON, verified with ``X-Shopify-Hmac-Sha256``
(base64 HMAC-SHA256 of the raw body with the app's secret).

- ``orders/create``, ``orders/updated``: the order; a ``cancelled_at`` cancels it. Its ``id``
  (6102938475610) is the external id later updates, fulfillments and refunds find it by; its
  ``name`` (``#1042``, with the shop's prefix or suffix if it has one; else ``order_number``) is
  the number the customer sees, kept without the leading ``#`` (the copy writes ``#{{ order.number }}``).
- ``orders/cancelled``: the order (taken in first if unknown), then cancelled.
- ``fulfillments/create``, ``fulfillments/update``: a shipment of ``order_id`` with
  ``tracking_company`` / ``tracking_number`` / ``tracking_url``, shipped; ``shipment_status``
  (in_transit, out_for_delivery, delivered, failure, ...) is a carrier event mapped through the
  ``shopify`` status mapping. A fulfillment before its order is deferred, not failed.
"""

from django.utils.text import slugify

from intake.sources.base import IntakeAdapter, IntakeDeferred, IntakeRejected, Issue, Outcome, money, register
from intake.sources.profiles import OrderDraft
from orders.models import Order, Shipment

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
FULFILLMENT_TOPICS = ("fulfillments/create", "fulfillments/update")
# Shopify's fulfillment shipment_status values -> Waypost statuses (seeded as the "shopify" mapping).
SHIPMENT_STATUS = {
    "label_printed": "",
    "label_purchased": "",
    "confirmed": "shipped",
    "ready_for_pickup": "out_for_delivery",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "attempted_delivery": "delivery_exception",
    "delivered": "delivered",
    "failure": "delivery_exception",
}


def _address(a: dict | None) -> dict:
    a = a or {}
    return (
        {
            "name": a.get("name") or " ".join(filter(None, [a.get("first_name"), a.get("last_name")])),
            "company": a.get("company"),
            "line1": a.get("address1"),
            "line2": a.get("address2"),
            "city": a.get("city"),
            "region": a.get("province_code") or a.get("province"),
            "postal_code": a.get("zip"),
            "country": a.get("country_code"),
            "phone": a.get("phone"),
        }
        if a
        else {}
    )


def order_draft(p: dict) -> OrderDraft:
    customer = p.get("customer") or {}
    shipping = p.get("shipping_address") or {}
    billing = p.get("billing_address") or {}
    default_address = customer.get("default_address") or {}
    name = " ".join(filter(None, [customer.get("first_name"), customer.get("last_name")])) or shipping.get("name", "")
    shipping_money = ((p.get("total_shipping_price_set") or {}).get("shop_money") or {}).get("amount")
    return OrderDraft(
        external_id=str(p.get("id") or ""),
        customer={
            "external_id": str(customer["id"]) if customer.get("id") else "",
            "name": name,
            "email": p.get("email") or p.get("contact_email") or customer.get("email"),
            "phone": p.get("phone") or customer.get("phone") or shipping.get("phone"),
            "country": shipping.get("country_code")
            or billing.get("country_code")
            or default_address.get("country_code"),
            "language": p.get("customer_locale"),
        },
        lines=[
            {
                "sku": li.get("sku") or (f"variant-{li['variant_id']}" if li.get("variant_id") else ""),
                "name": li.get("title") or li.get("name"),
                "quantity": li.get("quantity"),
                "unit_price": li.get("price"),
            }
            for li in p.get("line_items") or []
        ],
        currency=p.get("currency") or "",
        placed_at=p.get("created_at"),
        shipping_address=_address(p.get("shipping_address")),
        subtotal=p.get("subtotal_price"),
        shipping_total=shipping_money,
        tax_total=p.get("total_tax"),
        total=p.get("total_price"),
        number=p.get("name") or p.get("order_number"),
    )


@register
class ShopifyAdapter(IntakeAdapter):
    kind = "shopify"
    signature_header = "X-Shopify-Hmac-Sha256"
    topic_header = "X-Shopify-Topic"
    delivery_id_headers = ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id")
    topics = ORDER_TOPICS + FULFILLMENT_TOPICS

    def process(self, *, record, actor):
        from intake.services import order_cancel_from_source, order_draft_receive

        p, channel = record.payload, record.sales_channel
        if record.topic in ORDER_TOPICS:
            order, outcome = order_draft_receive(channel=channel, draft=order_draft(p), actor=actor)
            if record.topic == "orders/cancelled" or p.get("cancelled_at"):
                outcome.result["cancelled"] = order_cancel_from_source(
                    order=order, actor=actor, reason=f"cancelled in Shopify ({p.get('cancel_reason') or 'no reason'})"
                )
            return outcome
        return self._fulfillment(record=record, actor=actor)

    def _fulfillment(self, *, record, actor):
        from intake.carriers.base import CarrierEvent, parse_time
        from intake.services import carrier_event_receive
        from orders.services import shipment_create

        p, channel = record.payload, record.sales_channel
        order = Order.objects.filter(sales_channel=channel, external_id=str(p.get("order_id") or "")).first()
        if order is None:
            raise IntakeDeferred(
                [Issue("order_id", "unknown_order", f"order {p.get('order_id')} has not been received yet")]
            )
        number = p.get("tracking_number") or next(iter(p.get("tracking_numbers") or []), "")
        if not number:
            raise IntakeRejected([Issue("tracking_number", "required", "a fulfillment without tracking")])
        if p.get("status") in ("cancelled", "error", "failure"):
            return Outcome(warnings=[Issue("status", "fulfillment_not_shipped", f"fulfillment is {p['status']}")])
        carrier = slugify(p.get("tracking_company") or "") or "other"
        by_sku = {line.sku: line for line in order.lines.all()}
        lines = [
            (by_sku[li["sku"]], int(li.get("quantity") or 0))
            for li in p.get("line_items") or []
            if li.get("sku") in by_sku and int(li.get("quantity") or 0) > 0
        ]
        shipment, created = shipment_create(
            order=order,
            carrier=carrier,
            tracking_number=str(number),
            tracking_url=p.get("tracking_url") or "",
            lines=lines,
            status=Shipment.Status.SHIPPED,
            actor=actor,
        )
        result = {"order_id": order.pk, "shipment_id": shipment.pk, "created": created}
        status_code = p.get("shipment_status")
        if status_code:
            event = CarrierEvent(
                tracking_number=str(number),
                code=status_code,
                occurred_at=parse_time(p.get("updated_at") or p.get("created_at")),
                description=f"Shopify: {status_code}",
                raw={"fulfillment_id": p.get("id")},
            )
            received = carrier_event_receive(
                shipment=shipment, event=event, mapping_keys=[carrier, "shopify"], actor=actor
            )
            result["event"] = received.outcome
        return Outcome(result=result)

    def impact(self, *, record):
        p = record.payload or {}
        if record.topic in FULFILLMENT_TOPICS:
            order = Order.objects.filter(
                sales_channel=record.sales_channel, external_id=str(p.get("order_id") or "")
            ).first()
            return {
                "value": order.total if order else 0,
                "in_transit": True,
                "customer_external_id": None,
                "email": order.customer.email if order else None,
            }
        return {
            "value": money(p.get("total_price")),
            "email": p.get("email"),
            "customer_external_id": (p.get("customer") or {}).get("id"),
        }
