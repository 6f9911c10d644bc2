"""WooCommerce webhooks (``order.created``, ``order.updated``, ``order.deleted``) in the WooCommerce
REST v3 order JSON, verified with ``X-WC-Webhook-Signature`` (base64 HMAC-SHA256 of the raw body
with the webhook's secret). A ``cancelled``/``refunded`` status (or a deletion) cancels the
order; tracking items of the Shipment Tracking extension (``_wc_shipment_tracking_items`` in
``meta_data``) become shipments.

When a merchant saves a webhook, WooCommerce checks the URL with an unsigned, form-encoded POST
whose whole body is ``webhook_id=<id>`` (``WC_Webhook::deliver_ping``) and will not activate the
webhook unless it gets 200: that ping, and only that, is answered 200 without a signature (and
nothing is stored)."""

import re

from django.utils.text import slugify

from intake.sources.base import IntakeAdapter, Outcome, money, register
from intake.sources.profiles import OrderDraft
from orders.models import Order, Shipment

CANCELLED = {"cancelled", "refunded", "failed", "trash"}
SETUP_PING = re.compile(rb"webhook_id=[0-9]{1,20}")


def order_draft(p: dict) -> OrderDraft:
    billing, shipping = p.get("billing") or {}, p.get("shipping") or {}
    customer_id = p.get("customer_id")
    has_address = any(shipping.get(k) for k in ("address_1", "city", "postcode"))
    return OrderDraft(
        external_id=str(p.get("id") or ""),
        customer={
            "external_id": str(customer_id) if customer_id else "",
            "name": " ".join(filter(None, [billing.get("first_name"), billing.get("last_name")])),
            "email": billing.get("email"),
            "phone": billing.get("phone") or shipping.get("phone"),
            "country": billing.get("country") or shipping.get("country"),
        },
        lines=[
            {
                "sku": li.get("sku") or (f"product-{li['product_id']}" if li.get("product_id") else ""),
                "name": li.get("name"),
                "quantity": li.get("quantity"),
                "unit_price": li.get("price"),
            }
            for li in p.get("line_items") or []
        ],
        currency=p.get("currency") or "",
        placed_at=p.get("date_created_gmt") and f"{p['date_created_gmt']}Z",
        shipping_address={
            "name": " ".join(filter(None, [shipping.get("first_name"), shipping.get("last_name")])),
            "company": shipping.get("company"),
            "line1": shipping.get("address_1"),
            "line2": shipping.get("address_2"),
            "city": shipping.get("city"),
            "region": shipping.get("state"),
            "postal_code": shipping.get("postcode"),
            "country": shipping.get("country"),
            "phone": shipping.get("phone"),
        }
        if has_address
        else {},
        shipping_total=p.get("shipping_total"),
        tax_total=p.get("total_tax"),
        total=p.get("total"),
        number=p.get("number"),  # the shop's order number (a sequential-numbers plugin may set it)
    )


def tracking_items(p: dict) -> list[dict]:
    for meta in p.get("meta_data") or []:
        if meta.get("key") == "_wc_shipment_tracking_items" and isinstance(meta.get("value"), list):
            return meta["value"]
    return []


@register
class WooCommerceAdapter(IntakeAdapter):
    kind = "woocommerce"
    signature_header = "X-WC-Webhook-Signature"
    topic_header = "X-WC-Webhook-Topic"
    delivery_id_headers = ("X-WC-Webhook-Delivery-ID",)
    topics = ("order.created", "order.updated", "order.deleted", "order.restored")

    def is_setup_ping(self, *, body: bytes, headers) -> bool:
        return self.signature_header not in headers and SETUP_PING.fullmatch(body.strip()) is not None

    def process(self, *, record, actor):
        from intake.services import order_cancel_from_source, order_draft_receive
        from orders.services import shipment_create

        p, channel = record.payload, record.sales_channel
        if record.topic == "order.deleted":
            order = Order.objects.filter(sales_channel=channel, external_id=str(p.get("id"))).first()
            done = order is not None and order_cancel_from_source(
                order=order, actor=actor, reason="deleted in WooCommerce"
            )
            return Outcome(result={"cancelled": done})
        order, outcome = order_draft_receive(channel=channel, draft=order_draft(p), actor=actor)
        if p.get("status") in CANCELLED:
            outcome.result["cancelled"] = order_cancel_from_source(
                order=order, actor=actor, reason=f"WooCommerce status {p['status']}"
            )
            return outcome
        shipments = []
        for item in tracking_items(p):
            if not item.get("tracking_number"):
                continue
            shipment, _ = shipment_create(
                order=order,
                carrier=slugify(item.get("tracking_provider") or item.get("custom_tracking_provider") or "other"),
                tracking_number=str(item["tracking_number"]),
                tracking_url=item.get("custom_tracking_link") or "",
                status=Shipment.Status.SHIPPED,
                actor=actor,
            )
            shipments.append(shipment.pk)
        if shipments:
            outcome.result["shipment_ids"] = shipments
        return outcome

    def impact(self, *, record):
        p = record.payload or {}
        return {
            "value": money(p.get("total")),
            "email": (p.get("billing") or {}).get("email"),
            "customer_external_id": p.get("customer_id") or None,
            "in_transit": bool(tracking_items(p)),
        }
