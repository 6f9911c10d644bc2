"""Order and shipment services: creation (idempotent per channel and external id), status
transitions, carrier events, and the order status that follows its shipments."""
import hashlib
from dataclasses import dataclass
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.transitions import audit, machine, transition

from . import signals
from .models import Order, OrderLine, SalesChannel, Shipment, ShipmentEvent, ShipmentLine

S, O, B = Shipment.Status, Order.Status, OrderLine.Backorder

ORDER_MACHINE = machine("order", {
    O.PLACED: {O.PROCESSING, O.PARTIALLY_SHIPPED, O.SHIPPED, O.CANCELLED},
    O.PROCESSING: {O.PARTIALLY_SHIPPED, O.SHIPPED, O.CANCELLED},
    O.PARTIALLY_SHIPPED: {O.SHIPPED, O.DELIVERED},
    O.SHIPPED: {O.DELIVERED},
    O.DELIVERED: set(),
    O.CANCELLED: set(),
})

_MOVING = {S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERY_EXCEPTION, S.DELAYED}
SHIPMENT_MACHINE = machine("shipment", {
    S.LABEL_CREATED: {S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_EXCEPTION},
    S.SHIPPED: {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_EXCEPTION, S.DELAYED, S.RETURNED_TO_SENDER},
    S.IN_TRANSIT: {S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_EXCEPTION, S.DELAYED, S.RETURNED_TO_SENDER},
    # A failed delivery attempt goes back into the network for another day.
    S.OUT_FOR_DELIVERY: {S.IN_TRANSIT, S.DELIVERED, S.DELIVERY_EXCEPTION, S.DELAYED, S.RETURNED_TO_SENDER},
    S.DELIVERY_EXCEPTION: {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELAYED, S.RETURNED_TO_SENDER},
    S.DELAYED: {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.DELIVERY_EXCEPTION, S.RETURNED_TO_SENDER},
    S.DELIVERED: set(),
    S.RETURNED_TO_SENDER: set(),
})

BACKORDER_MACHINE = machine("order line", {
    B.NONE: {B.BACKORDERED},
    B.BACKORDERED: {B.ALLOCATED, B.CANCELLED},
    B.ALLOCATED: set(),
    B.CANCELLED: set(),
}, field="backorder_state")


@dataclass
class LineInput:
    sku: str
    quantity: int
    unit_price: Decimal
    name: str = ""
    backordered: bool = False


def order_create(
    *,
    sales_channel: SalesChannel,
    external_id: str,
    customer,
    lines: list[LineInput],
    placed_at=None,
    currency: str = "USD",
    subtotal: Decimal | None = None,
    shipping_total: Decimal = Decimal("0"),
    tax_total: Decimal = Decimal("0"),
    total: Decimal | None = None,
    shipping_address: dict | None = None,
    actor: str = "",
) -> tuple[Order, bool]:
    """Create an order with its lines; a repeat with the same channel and external id returns the
    first order and creates nothing. Sends ``order_status_changed`` (None -> placed)."""
    from inventory.selectors import products_by_sku

    existing = Order.objects.filter(sales_channel=sales_channel, external_id=external_id).first()
    if existing:
        return existing, False
    computed_subtotal = sum((Decimal(l.unit_price) * l.quantity for l in lines), Decimal("0"))
    subtotal = computed_subtotal if subtotal is None else subtotal
    total = subtotal + shipping_total + tax_total if total is None else total
    products = products_by_sku(brand_id=sales_channel.brand_id, skus=[l.sku for l in lines])
    try:
        with transaction.atomic():
            order = Order.objects.create(
                sales_channel=sales_channel, external_id=external_id, customer=customer,
                currency=currency.upper(), subtotal=subtotal, shipping_total=shipping_total,
                tax_total=tax_total, total=total, shipping_address=shipping_address or {},
                placed_at=placed_at or timezone.now(), status_changed_at=timezone.now(),
            )
            created_lines = OrderLine.objects.bulk_create([
                OrderLine(order=order, sku=l.sku, product=products.get(l.sku), quantity=l.quantity,
                          unit_price=l.unit_price, name=l.name or getattr(products.get(l.sku), "name", ""))
                for l in lines
            ])
            audit(obj=order, action="created", to_state=order.status, actor=actor)
            signals.order_status_changed.send(
                sender=Order, instance=order, from_status=None, to_status=order.status, actor=actor
            )
            for line_input, line in zip(lines, created_lines):
                if line_input.backordered:
                    order_line_backorder_transition(line=line, to_state=B.BACKORDERED, actor=actor)
    except IntegrityError:
        # A concurrent request created it first: return that one (any other integrity error is real).
        existing = Order.objects.filter(sales_channel=sales_channel, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    return order, True


def order_receive(*, sales_channel: SalesChannel, external_id: str, customer_data: dict, lines: list[LineInput],
                  actor: str = "", **order_fields) -> tuple[Order, bool]:
    """Take in an order from any source: upsert its customer (by their id in the channel, given as
    ``customer_data["external_id"]``) and create the order, in one transaction. A repeat of an
    order already taken in returns it unchanged (``created`` False) and touches nothing."""
    from preferences.services import customer_upsert

    existing = Order.objects.filter(sales_channel=sales_channel, external_id=external_id).first()
    if existing:
        return existing, False
    customer_data = dict(customer_data)
    with transaction.atomic():
        customer, _ = customer_upsert(sales_channel=sales_channel, external_id=customer_data.pop("external_id"),
                                      data=customer_data, actor=actor)
        return order_create(sales_channel=sales_channel, external_id=external_id, customer=customer,
                            lines=lines, actor=actor, **order_fields)


def order_transition(*, order: Order, to_status: str, actor: str = "", reason: str = "") -> Order:
    return transition(model=Order, pk=order.pk, sm=ORDER_MACHINE, target=to_status,
                      signal=signals.order_status_changed, actor=actor, reason=reason)


def order_line_backorder_transition(*, line: OrderLine, to_state: str, actor: str = "", reason: str = "") -> OrderLine:
    return transition(model=OrderLine, pk=line.pk, sm=BACKORDER_MACHINE, target=to_state,
                      signal=signals.order_line_backorder_changed, actor=actor, reason=reason)


_ORDER_PATH = [O.PLACED, O.PROCESSING, O.PARTIALLY_SHIPPED, O.SHIPPED, O.DELIVERED]


def _order_status_from_shipments(order: Order) -> str | None:
    shipments = [s for s in order.shipments.prefetch_related("shipmentline_set") if s.status != S.RETURNED_TO_SENDER]
    sent = [s for s in shipments if s.status in _MOVING or s.status == S.DELIVERED]
    if not sent:
        return None
    if any(not s.shipmentline_set.all() for s in sent):
        fully_covered = True  # a shipment without lines carries the whole order
    else:
        shipped_qty: dict[int, int] = {}
        for s in sent:
            for sl in s.shipmentline_set.all():
                shipped_qty[sl.order_line_id] = shipped_qty.get(sl.order_line_id, 0) + sl.quantity
        fully_covered = all(
            shipped_qty.get(line.pk, 0) >= line.quantity
            for line in order.lines.exclude(backorder_state=B.CANCELLED)
        )
    if not fully_covered:
        return O.PARTIALLY_SHIPPED
    return O.DELIVERED if all(s.status == S.DELIVERED for s in sent) else O.SHIPPED


def order_sync_from_shipments(*, order: Order, actor: str = "") -> Order:
    """Move the order forward to what its shipments say (never backwards, never from cancelled)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        target = _order_status_from_shipments(order)
        if target is None or order.status not in _ORDER_PATH:
            return order
        while _ORDER_PATH.index(target) > _ORDER_PATH.index(order.status):
            allowed = ORDER_MACHINE.transitions[order.status]
            # The furthest allowed step not past the target: never through a state that is not
            # true (a delivered order must not pass through "partially shipped").
            step = target if target in allowed else max(
                (s for s in allowed if s in _ORDER_PATH and _ORDER_PATH.index(s) < _ORDER_PATH.index(target)),
                key=_ORDER_PATH.index,
            )
            order = order_transition(order=order, to_status=step, actor=actor or "system:shipments",
                                     reason="follows its shipments")
        return order


def shipment_create(
    *,
    order: Order,
    carrier: str,
    tracking_number: str,
    tracking_url: str = "",
    estimated_delivery=None,
    lines: list[tuple[OrderLine, int]] | None = None,
    status: str = S.LABEL_CREATED,
    actor: str = "",
) -> tuple[Shipment, bool]:
    """Add a shipment to an order (idempotent per carrier and tracking number), then move it
    to ``status`` through the normal transitions."""
    existing = Shipment.objects.filter(carrier=carrier, tracking_number=tracking_number).first()
    if existing:
        if existing.order_id != order.pk:
            raise ValidationError({"tracking_number": [
                f"{carrier} {tracking_number} already belongs to another order's shipment."]})
        return existing, False
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                order=order, carrier=carrier, tracking_number=tracking_number, tracking_url=tracking_url,
                estimated_delivery=estimated_delivery, status_changed_at=timezone.now(),
            )
            ShipmentLine.objects.bulk_create(
                [ShipmentLine(shipment=shipment, order_line=line, quantity=qty) for line, qty in (lines or [])]
            )
            audit(obj=shipment, action="created", to_state=shipment.status, actor=actor)
            signals.shipment_status_changed.send(
                sender=Shipment, instance=shipment, from_status=None, to_status=shipment.status, actor=actor
            )
            if status != S.LABEL_CREATED:
                shipment = shipment_transition(shipment=shipment, to_status=status, actor=actor)
    except IntegrityError:
        # A concurrent request added it first: return that one (any other integrity error is real).
        existing = Shipment.objects.filter(order=order, carrier=carrier, tracking_number=tracking_number).first()
        if existing is None:
            raise
        return existing, False
    return shipment, True


def shipment_transition(*, shipment: Shipment, to_status: str, actor: str = "", reason: str = "",
                        estimated_delivery=None) -> Shipment:
    changes = {"estimated_delivery": estimated_delivery} if estimated_delivery else None
    with transaction.atomic():
        shipment = transition(model=Shipment, pk=shipment.pk, sm=SHIPMENT_MACHINE, target=to_status,
                              signal=signals.shipment_status_changed, actor=actor, reason=reason, changes=changes)
        order_sync_from_shipments(order=shipment.order, actor=actor)
    return shipment


def _event_dedupe_key(*, status: str, carrier_code: str, occurred_at) -> str:
    # The same instant written in another time zone is the same scan.
    occurred_at = occurred_at.astimezone(dt_timezone.utc)
    return hashlib.sha256(f"{status}|{carrier_code}|{occurred_at.isoformat()}".encode()).hexdigest()


def shipment_event_record(
    *,
    shipment: Shipment,
    status: str,
    occurred_at,
    carrier_code: str = "",
    description: str = "",
    location: str = "",
    estimated_delivery=None,
    raw: dict | None = None,
    actor: str = "",
) -> tuple[ShipmentEvent, bool]:
    """Store a carrier event and move the shipment to its status.

    A repeat of an event already stored is a no-op (``created`` is False). An event with the
    shipment's current status is stored without a transition. A status the machine forbids
    raises :class:`core.transitions.InvalidTransition` and stores nothing.
    """
    key = _event_dedupe_key(status=status, carrier_code=carrier_code, occurred_at=occurred_at)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        existing = ShipmentEvent.objects.filter(shipment=locked, dedupe_key=key).first()
        if existing:
            return existing, False
        moves = status != locked.status
        if moves:
            SHIPMENT_MACHINE.check(locked.status, status)
        event = ShipmentEvent.objects.create(
            shipment=locked, status=status, carrier_code=carrier_code, description=description,
            location=location, occurred_at=occurred_at, estimated_delivery=estimated_delivery,
            applied=moves, dedupe_key=key, raw=raw or {},
        )
        if moves:
            shipment_transition(shipment=locked, to_status=status, actor=actor,
                                reason=description or f"carrier event {carrier_code}".strip(),
                                estimated_delivery=estimated_delivery)
        elif estimated_delivery and estimated_delivery != locked.estimated_delivery:
            locked.estimated_delivery = estimated_delivery
            locked.save(update_fields=["estimated_delivery"])
    return event, True
