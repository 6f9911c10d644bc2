"""JSON snapshots of domain objects: everything a template may need, frozen at event time.

The same functions build the sample context that templates are validated against, so a
variable a template uses is checked against exactly what real events carry.
"""

from decimal import Decimal

CARRIER_NAMES = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "estafeta": "Estafeta",
    "colissimo": "Colissimo",
    "dpd": "DPD",
    "royalmail": "Royal Mail",
}


def _iso(value):
    return value.isoformat() if value else None


def _money(value):
    return str(value) if value is not None else None


def brand_snapshot(brand) -> dict:
    return {
        "name": brand.name,
        "slug": brand.slug,
        "logo_url": brand.logo_url,
        "primary_color": brand.primary_color,
        "accent_color": brand.accent_color,
        "sender_name": brand.sender_name,
        "support_email": brand.support_email,
        "support_phone": brand.support_phone,
        "support_url": brand.support_url,
        "company_address": brand.company_address,
    }


def customer_snapshot(customer) -> dict:
    name = customer.name or ""
    return {
        "id": customer.pk,
        "name": name,
        "first_name": name.split(" ")[0] if name else "",
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "time_zone": customer.time_zone,
        "country": customer.country,
    }


def line_snapshot(line) -> dict:
    return {
        "id": line.pk,
        "sku": line.sku,
        "name": line.name or line.sku,
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price),
        "backorder_state": line.backorder_state,
    }


def order_snapshot(order, lines=None) -> dict:
    lines = list(order.lines.all()) if lines is None else lines
    return {
        "id": order.pk,
        "number": order.number or order.external_id,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "total": _money(order.total),
        "placed_at": _iso(order.placed_at),
        "status": order.status,
        "sales_channel": order.sales_channel.name if order.sales_channel_id else "",
        "country": (order.shipping_address or {}).get("country", ""),
        "lines": [line_snapshot(ln) for ln in lines],
        "item_count": sum(ln.quantity for ln in lines),
    }


def shipment_snapshot(shipment) -> dict:
    return {
        "id": shipment.pk,
        "carrier": shipment.carrier,
        "carrier_name": CARRIER_NAMES.get(shipment.carrier.lower(), shipment.carrier.upper()),
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "estimated_delivery": _iso(shipment.estimated_delivery),
        "status": shipment.status,
        "reschedule_url": shipment.tracking_url,
    }


def return_snapshot(ret, lines=None) -> dict:
    lines = list(ret.lines.select_related("order_line")) if lines is None else lines
    return {
        "id": ret.pk,
        "code": ret.code,
        "status": ret.status,
        "reason": ret.reason,
        "refund_estimate": _money(ret.refund_estimate),
        "refund_amount": _money(ret.refund_amount),
        "return_carrier": ret.return_carrier,
        "return_tracking_number": ret.return_tracking_number,
        "label_url": ret.label_url,
        "inspection_result": ret.inspection_result,
        "rejection_reason": ret.rejection_reason,
        "lines": [
            {"sku": rl.order_line.sku, "name": rl.order_line.name or rl.order_line.sku, "quantity": rl.quantity}
            for rl in lines
        ],
    }


def product_snapshot(product, level=None) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "image_url": product.image_url,
        "price": _money(product.price),
        "currency": product.currency,
        "restock_eta": _iso(level.restock_eta) if level and level.restock_eta else None,
        "available": level.available if level else None,
    }


def reply_snapshot(*, kind: str, link: str = "") -> dict:
    """What an automatic answer to a customer's text knows: the keyword kind (stop, start, help,
    reschedule, call_me, other) and, for reschedule, the carrier's page."""
    return {"kind": kind, "link": link}


def sample_context() -> dict:
    """A realistic snapshot with every key real events can carry (built by the functions above
    from unsaved objects), used to validate and preview templates."""
    import datetime as dt

    from customers.models import Brand, Customer, SalesChannel
    from inventory.models import Product, StockLevel
    from orders.models import Order, OrderLine, Shipment
    from returns.models import ReturnLine, ReturnRequest

    now = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)
    brand = Brand(
        name="Northwind Outfitters",
        slug="northwind",
        sender_name="Northwind Outfitters",
        sender_email="orders@northwind.example",
        support_email="help@northwind.example",
        support_phone="+14155550100",
        support_url="https://northwind.example/help",
        company_address="500 Market St, San Francisco, CA 94105, USA",
    )
    customer = Customer(
        pk=1,
        name="Ana García",
        email="ana@example.com",
        phone="+525512345678",
        language="es-MX",
        time_zone="America/Mexico_City",
        country="MX",
    )
    channel = SalesChannel(pk=1, name="Web shop")
    order = Order(
        pk=1,
        external_id="1042",
        number="1042",
        currency="USD",
        subtotal=Decimal("119.80"),
        total=Decimal("129.80"),
        placed_at=now,
        status="shipped",
        sales_channel=channel,
        shipping_address={"country": "MX"},
    )
    line = OrderLine(
        pk=1,
        sku="TR-42-BLK",
        name="Trail runner, black, 42",
        quantity=2,
        unit_price=Decimal("59.90"),
        backorder_state="backordered",
    )
    shipment = Shipment(
        pk=1,
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        estimated_delivery=now + dt.timedelta(days=2),
        status="in_transit",
    )
    ret = ReturnRequest(
        pk=1,
        code="R7F3A9C2E",
        status="refunded",
        reason="Too small",
        refund_estimate=Decimal("59.90"),
        refund_amount=Decimal("59.90"),
        return_carrier="ups",
        return_tracking_number="1Z999AA10123456799",
        label_url="https://northwind.example/labels/R7F3A9C2E.pdf",
        inspection_result="accepted",
    )
    product = Product(
        sku="TR-42-BLK",
        name="Trail runner, black, 42",
        price=Decimal("59.90"),
        image_url="https://northwind.example/img/tr-42.jpg",
    )
    level = StockLevel(product=product, on_hand=12, restock_eta=(now + dt.timedelta(days=10)).date())
    return {
        "event": "shipment.in_transit",
        "from_status": "shipped",
        "to_status": "in_transit",
        "brand": brand_snapshot(brand),
        "customer": customer_snapshot(customer),
        "order": order_snapshot(order, lines=[line]),
        "line": line_snapshot(line),
        "shipment": shipment_snapshot(shipment),
        "return": return_snapshot(ret, lines=[ReturnLine(order_line=line, quantity=1)]),
        "product": product_snapshot(product, level),
        "reply": reply_snapshot(kind="help", link=shipment.tracking_url),
    }
