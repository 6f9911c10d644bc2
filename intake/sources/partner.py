"""The native partner format (the same JSON as ``POST /api/v1/orders/``, without
``sales_channel``: the record's channel), taken in asynchronously through
``POST /api/v1/intake/orders/``. POS systems use it too (their profile needs no address)::

    {"external_id": "1001", "customer": {"external_id": "c-1", "name": "...", "email": "...",
     "phone": "...", "country": "US", "language": "en-US"},
     "lines": [{"sku": "TR-42", "name": "Trail runner", "quantity": 1, "unit_price": "89.00"}],
     "currency": "USD", "placed_at": "2025-05-01T10:00:00Z", "shipping_address": {...},
     "shipments": [{"carrier": "ups", "tracking_number": "1Z...", "tracking_url": "..."}]}
"""

from intake.sources.base import IntakeAdapter, money, register
from intake.sources.profiles import OrderDraft
from orders.models import Shipment


def order_draft(p: dict) -> OrderDraft:
    return OrderDraft(
        external_id=str(p.get("external_id") or ""),
        customer=p.get("customer") or {},
        lines=list(p.get("lines") or []),
        currency=p.get("currency") or "USD",
        placed_at=p.get("placed_at"),
        shipping_address=p.get("shipping_address") or {},
        subtotal=p.get("subtotal"),
        shipping_total=p.get("shipping_total"),
        tax_total=p.get("tax_total"),
        total=p.get("total"),
    )


@register
class PartnerAdapter(IntakeAdapter):
    kind = "partner"

    def process(self, *, record, actor):
        from intake.services import order_draft_receive
        from orders.services import shipment_create

        p = record.payload or {}
        order, outcome = order_draft_receive(channel=record.sales_channel, draft=order_draft(p), actor=actor)
        for s in p.get("shipments") or []:
            if s.get("carrier") and s.get("tracking_number"):
                shipment, _ = shipment_create(
                    order=order,
                    carrier=s["carrier"],
                    tracking_number=str(s["tracking_number"]),
                    tracking_url=s.get("tracking_url") or "",
                    status=s.get("status") or Shipment.Status.SHIPPED,
                    actor=actor,
                )
                outcome.result.setdefault("shipment_ids", []).append(shipment.pk)
        return outcome

    def impact(self, *, record):
        p = record.payload or {}
        value = p.get("total") or sum(
            money(ln.get("unit_price")) * int(ln.get("quantity") or 0)
            for ln in p.get("lines") or []
            if str(ln.get("quantity") or "").isdigit()
        )
        c = p.get("customer") or {}
        return {
            "value": value,
            "email": c.get("email"),
            "customer_external_id": c.get("external_id"),
            "in_transit": bool(p.get("shipments")),
        }
