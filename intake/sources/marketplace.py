"""Marketplace order reports, CSV or JSON, in the Amazon flat-file shape (one row per order
item: ``amazon-order-id``, ``purchase-date``, ``buyer-email``, ``buyer-name``,
``buyer-phone-number``, ``sku``, ``product-name``, ``quantity-purchased``, ``item-price`` (the
line total), ``currency``, ``ship-address-1``, ``ship-city``, ``ship-state``,
``ship-postal-code``, ``ship-country``; plain names like ``order_id`` work too).

A JSON report is a list of such rows, or ``{"orders": [...]}`` / ``{"rows": [...]}``.
Rows of one order are grouped into one record (``{"rows": [...]}``), so a multi-item order is
taken in whole; a report of one-item orders gives one record per row."""

import csv
import io
import json

from intake.sources.base import IntakeAdapter, money, register
from intake.sources.profiles import OrderDraft

ALIASES = {
    "order_id": "amazon-order-id",
    "order-id": "amazon-order-id",
    "purchase_date": "purchase-date",
    "buyer_email": "buyer-email",
    "buyer_name": "buyer-name",
    "buyer_phone": "buyer-phone-number",
    "product_name": "product-name",
    "quantity": "quantity-purchased",
    "item_price": "item-price",
    "unit_price": "unit-price",
    "ship_address_1": "ship-address-1",
    "ship_city": "ship-city",
    "ship_state": "ship-state",
    "ship_postal_code": "ship-postal-code",
    "ship_country": "ship-country",
    "buyer_id": "buyer-id",
}


def _row(raw: dict) -> dict:
    return {
        ALIASES.get(k.strip().lower(), k.strip().lower()): (v.strip() if isinstance(v, str) else v)
        for k, v in raw.items()
        if k
    }


def order_draft(rows: list[dict]) -> OrderDraft:
    first = rows[0] if rows else {}
    return OrderDraft(
        external_id=first.get("amazon-order-id", ""),
        customer={
            "external_id": first.get("buyer-id") or "",
            "name": first.get("buyer-name") or first.get("recipient-name"),
            "email": first.get("buyer-email"),
            "phone": first.get("buyer-phone-number"),
            "country": first.get("ship-country"),
        },
        lines=[
            {
                "sku": r.get("sku"),
                "name": r.get("product-name"),
                "quantity": r.get("quantity-purchased"),
                **(
                    {"unit_price": r["unit-price"]}
                    if r.get("unit-price") not in (None, "")
                    else {"line_total": r.get("item-price")}
                ),
            }
            for r in rows
        ],
        currency=first.get("currency") or "",
        placed_at=first.get("purchase-date") or None,
        shipping_address={
            "name": first.get("recipient-name") or first.get("buyer-name"),
            "line1": first.get("ship-address-1"),
            "city": first.get("ship-city"),
            "region": first.get("ship-state"),
            "postal_code": first.get("ship-postal-code"),
            "country": first.get("ship-country"),
        }
        if any(first.get(k) for k in ("ship-address-1", "ship-city"))
        else {},
    )


@register
class MarketplaceAdapter(IntakeAdapter):
    kind = "marketplace"

    def split(self, *, body, filename=""):
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
        stripped = text.lstrip()
        if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from exc
            if isinstance(data, dict):
                data = data.get("orders") or data.get("rows") or []
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise ValueError("a JSON report is a list of order rows (objects)")
            rows = [_row(r) for r in data]
        else:
            header = text.splitlines()[0] if text.strip() else ""
            dialect = "excel-tab" if "\t" in header else "excel"  # Amazon's flat files are tab separated
            rows = [_row(r) for r in csv.DictReader(io.StringIO(text), dialect=dialect)]
        if not rows:
            raise ValueError("the report holds no rows")
        groups: dict[str, list[dict]] = {}
        for i, row in enumerate(rows):
            key = row.get("amazon-order-id") or f"(row {i + 1}: no order id)"
            groups.setdefault(key, []).append(row)
        return [("row", {"rows": group}) for group in groups.values()]

    def process(self, *, record, actor):
        from intake.services import order_draft_receive

        rows = [_row(r) for r in (record.payload or {}).get("rows", [])]
        _order, outcome = order_draft_receive(channel=record.sales_channel, draft=order_draft(rows), actor=actor)
        return outcome

    def impact(self, *, record):
        rows = [_row(r) for r in (record.payload or {}).get("rows", [])]
        return {
            "value": sum(money(r.get("item-price")) for r in rows),
            "email": rows[0].get("buyer-email") if rows else None,
            "customer_external_id": rows[0].get("buyer-id") if rows else None,
        }
