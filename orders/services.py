"""Order and shipment services: creation (idempotent per channel and external id), status
transitions, carrier events (recorded once, applied only when not late and allowed, never
backwards), and the order status that follows its shipments."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.audit import AuditAction
from core.transitions import audit, machine, transition
from customers.models import SalesChannel
from orders import signals
from orders.models import Order, OrderLine, Shipment, ShipmentEvent, ShipmentLine

ORDER_MACHINE = machine(
    "order",
    {
        Order.Status.PLACED: {
            Order.Status.PROCESSING,
            Order.Status.PARTIALLY_SHIPPED,
            Order.Status.SHIPPED,
            Order.Status.CANCELLED,
        },
        Order.Status.PROCESSING: {Order.Status.PARTIALLY_SHIPPED, Order.Status.SHIPPED, Order.Status.CANCELLED},
        Order.Status.PARTIALLY_SHIPPED: {Order.Status.SHIPPED, Order.Status.DELIVERED},
        Order.Status.SHIPPED: {Order.Status.DELIVERED},
        Order.Status.DELIVERED: set(),
        Order.Status.CANCELLED: set(),
    },
)

_MOVING = {
    Shipment.Status.SHIPPED,
    Shipment.Status.IN_TRANSIT,
    Shipment.Status.OUT_FOR_DELIVERY,
    Shipment.Status.DELIVERY_EXCEPTION,
    Shipment.Status.DELAYED,
}
SHIPMENT_MACHINE = machine(
    "shipment",
    {
        Shipment.Status.LABEL_CREATED: {
            Shipment.Status.SHIPPED,
            Shipment.Status.IN_TRANSIT,
            Shipment.Status.OUT_FOR_DELIVERY,
            Shipment.Status.DELIVERED,
            Shipment.Status.DELIVERY_EXCEPTION,
        },
        Shipment.Status.SHIPPED: {
            Shipment.Status.IN_TRANSIT,
            Shipment.Status.OUT_FOR_DELIVERY,
            Shipment.Status.DELIVERED,
            Shipment.Status.DELIVERY_EXCEPTION,
            Shipment.Status.DELAYED,
            Shipment.Status.RETURNED_TO_SENDER,
        },
        Shipment.Status.IN_TRANSIT: {
            Shipment.Status.OUT_FOR_DELIVERY,
            Shipment.Status.DELIVERED,
            Shipment.Status.DELIVERY_EXCEPTION,
            Shipment.Status.DELAYED,
            Shipment.Status.RETURNED_TO_SENDER,
        },
        # A failed delivery attempt goes back into the network for another day.
        Shipment.Status.OUT_FOR_DELIVERY: {
            Shipment.Status.IN_TRANSIT,
            Shipment.Status.DELIVERED,
            Shipment.Status.DELIVERY_EXCEPTION,
            Shipment.Status.DELAYED,
            Shipment.Status.RETURNED_TO_SENDER,
        },
        Shipment.Status.DELIVERY_EXCEPTION: {
            Shipment.Status.IN_TRANSIT,
            Shipment.Status.OUT_FOR_DELIVERY,
            Shipment.Status.DELIVERED,
            Shipment.Status.DELAYED,
            Shipment.Status.RETURNED_TO_SENDER,
        },
        Shipment.Status.DELAYED: {
            Shipment.Status.IN_TRANSIT,
            Shipment.Status.OUT_FOR_DELIVERY,
            Shipment.Status.DELIVERED,
            Shipment.Status.DELIVERY_EXCEPTION,
            Shipment.Status.RETURNED_TO_SENDER,
        },
        Shipment.Status.DELIVERED: set(),
        Shipment.Status.RETURNED_TO_SENDER: set(),
    },
)

BACKORDER_MACHINE = machine(
    "order line",
    {
        OrderLine.Backorder.NONE: {OrderLine.Backorder.BACKORDERED},
        OrderLine.Backorder.BACKORDERED: {OrderLine.Backorder.ALLOCATED, OrderLine.Backorder.CANCELLED},
        OrderLine.Backorder.ALLOCATED: set(),
        OrderLine.Backorder.CANCELLED: set(),
    },
    field="backorder_state",
    action=AuditAction.BACKORDER_STATE_CHANGED,
)


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
    number: str = "",
    actor: str = "",
) -> tuple[Order, bool]:
    """Create an order with its lines; a repeat with the same channel and external id returns the
    first order and creates nothing. ``number`` is the order number the customer sees when the
    channel has one apart from its id (else the external id). Sends ``order_status_changed``
    (None -> placed)."""
    from inventory.selectors import products_by_sku

    existing = Order.objects.filter(sales_channel=sales_channel, external_id=external_id).first()
    if existing:
        return existing, False
    computed_subtotal = sum((Decimal(ln.unit_price) * ln.quantity for ln in lines), Decimal("0"))
    subtotal = computed_subtotal if subtotal is None else subtotal
    total = subtotal + shipping_total + tax_total if total is None else total
    products = products_by_sku(brand_id=sales_channel.brand_id, skus=[ln.sku for ln in lines])
    try:
        with transaction.atomic():
            order = Order.objects.create(
                sales_channel=sales_channel,
                external_id=external_id,
                number=(number or external_id).strip().lstrip("#").strip() or external_id,
                customer=customer,
                currency=currency.upper(),
                subtotal=subtotal,
                shipping_total=shipping_total,
                tax_total=tax_total,
                total=total,
                shipping_address=shipping_address or {},
                placed_at=placed_at or timezone.now(),
                status_changed_at=timezone.now(),
            )
            created_lines = OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        sku=ln.sku,
                        product=products.get(ln.sku),
                        quantity=ln.quantity,
                        unit_price=ln.unit_price,
                        name=ln.name or getattr(products.get(ln.sku), "name", ""),
                    )
                    for ln in lines
                ]
            )
            audit(obj=order, action=AuditAction.CREATED, to_state=order.status, actor=actor)
            signals.order_status_changed.send(
                sender=Order, instance=order, from_status=None, to_status=order.status, actor=actor
            )
            for line_input, line in zip(lines, created_lines, strict=False):
                if line_input.backordered:
                    order_line_backorder_transition(line=line, to_state=OrderLine.Backorder.BACKORDERED, actor=actor)
    except IntegrityError:
        # A concurrent request created it first: return that one (any other integrity error is real).
        existing = Order.objects.filter(sales_channel=sales_channel, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
    return order, True


def order_receive(
    *,
    sales_channel: SalesChannel,
    external_id: str,
    customer_data: dict,
    lines: list[LineInput],
    actor: str = "",
    **order_fields,
) -> tuple[Order, bool]:
    """Take in an order from any source: upsert its customer (by their id in the channel, given as
    ``customer_data["external_id"]``) and create the order, in one transaction. A repeat of an
    order already taken in returns it unchanged (``created`` False) and touches nothing."""
    from customers.services import customer_upsert

    existing = Order.objects.filter(sales_channel=sales_channel, external_id=external_id).first()
    if existing:
        return existing, False
    customer_data = dict(customer_data)
    with transaction.atomic():
        customer, _ = customer_upsert(
            sales_channel=sales_channel, external_id=customer_data.pop("external_id"), data=customer_data, actor=actor
        )
        return order_create(
            sales_channel=sales_channel,
            external_id=external_id,
            customer=customer,
            lines=lines,
            actor=actor,
            **order_fields,
        )


def order_transition(*, order: Order, to_status: str, actor: str = "", reason: str = "") -> Order:
    return transition(
        model=Order,
        pk=order.pk,
        sm=ORDER_MACHINE,
        target=to_status,
        signal=signals.order_status_changed,
        actor=actor,
        reason=reason,
    )


def order_line_backorder_transition(*, line: OrderLine, to_state: str, actor: str = "", reason: str = "") -> OrderLine:
    return transition(
        model=OrderLine,
        pk=line.pk,
        sm=BACKORDER_MACHINE,
        target=to_state,
        signal=signals.order_line_backorder_changed,
        actor=actor,
        reason=reason,
    )


_ORDER_PATH = [
    Order.Status.PLACED,
    Order.Status.PROCESSING,
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
]


def _order_status_from_shipments(order: Order) -> str | None:
    shipments = [
        s
        for s in order.shipments.prefetch_related("shipmentline_set")
        if s.status != Shipment.Status.RETURNED_TO_SENDER
    ]
    sent = [s for s in shipments if s.status in _MOVING or s.status == Shipment.Status.DELIVERED]
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
            for line in order.lines.exclude(backorder_state=OrderLine.Backorder.CANCELLED)
        )
    if not fully_covered:
        return Order.Status.PARTIALLY_SHIPPED
    return Order.Status.DELIVERED if all(s.status == Shipment.Status.DELIVERED for s in sent) else Order.Status.SHIPPED


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
            step = (
                target
                if target in allowed
                else max(
                    (s for s in allowed if s in _ORDER_PATH and _ORDER_PATH.index(s) < _ORDER_PATH.index(target)),
                    key=_ORDER_PATH.index,
                )
            )
            order = order_transition(
                order=order, to_status=step, actor=actor or "system:shipments", reason="follows its shipments"
            )
        return order


def shipment_create(
    *,
    order: Order,
    carrier: str,
    tracking_number: str,
    tracking_url: str = "",
    estimated_delivery=None,
    lines: list[tuple[OrderLine, int]] | None = None,
    status: str = Shipment.Status.LABEL_CREATED,
    actor: str = "",
) -> tuple[Shipment, bool]:
    """Add a shipment to an order (idempotent per carrier and tracking number), then move it
    to ``status`` through the normal transitions."""
    existing = Shipment.objects.filter(carrier=carrier, tracking_number=tracking_number).first()
    if existing:
        if existing.order_id != order.pk:
            raise ValidationError(
                {"tracking_number": [f"{carrier} {tracking_number} already belongs to another order's shipment."]}
            )
        return existing, False
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                order=order,
                carrier=carrier,
                tracking_number=tracking_number,
                tracking_url=tracking_url,
                estimated_delivery=estimated_delivery,
                status_changed_at=timezone.now(),
            )
            ShipmentLine.objects.bulk_create(
                [ShipmentLine(shipment=shipment, order_line=line, quantity=qty) for line, qty in (lines or [])]
            )
            audit(obj=shipment, action=AuditAction.CREATED, to_state=shipment.status, actor=actor)
            signals.shipment_status_changed.send(
                sender=Shipment, instance=shipment, from_status=None, to_status=shipment.status, actor=actor
            )
            if status != Shipment.Status.LABEL_CREATED:
                shipment = shipment_transition(shipment=shipment, to_status=status, actor=actor)
    except IntegrityError:
        # A concurrent request added it first: return that one (any other integrity error is real).
        existing = Shipment.objects.filter(order=order, carrier=carrier, tracking_number=tracking_number).first()
        if existing is None:
            raise
        return existing, False
    return shipment, True


def shipment_transition(
    *, shipment: Shipment, to_status: str, actor: str = "", reason: str = "", estimated_delivery=None
) -> Shipment:
    changes = {"estimated_delivery": estimated_delivery} if estimated_delivery else None
    with transaction.atomic():
        shipment = transition(
            model=Shipment,
            pk=shipment.pk,
            sm=SHIPMENT_MACHINE,
            target=to_status,
            signal=signals.shipment_status_changed,
            actor=actor,
            reason=reason,
            changes=changes,
        )
        order_sync_from_shipments(order=shipment.order, actor=actor)
    return shipment


def _event_dedupe_key(*, status: str, carrier_code: str, occurred_at) -> str:
    # The same instant written in another time zone is the same scan.
    occurred_at = occurred_at.astimezone(UTC)
    return hashlib.sha256(f"{status}|{carrier_code}|{occurred_at.isoformat()}".encode()).hexdigest()


@dataclass(frozen=True)
class RecordedEvent:
    """What recording a carrier event did: the stored event (the first one, for a repeat),
    whether it is new, and whether its ETA slip moved the shipment to ``delayed``."""

    event: ShipmentEvent
    created: bool
    delayed: bool = False


def _newest_taken_in(shipment: Shipment):
    """When the newest event the shipment has taken in happened: applied, or a repeat of its
    status. Events stored as late or not allowed do not count."""
    taken_in = ShipmentEvent.objects.filter(shipment=shipment).filter(
        Q(applied=True) | Q(not_applied_reason=ShipmentEvent.NotApplied.SAME_STATUS)
    )
    return taken_in.aggregate(newest=Max("occurred_at"))["newest"]


def _not_applied_reason(*, shipment: Shipment, status: str, occurred_at) -> str:
    newest = _newest_taken_in(shipment)
    if newest is not None and occurred_at < newest:
        return ShipmentEvent.NotApplied.LATE
    if status == shipment.status:
        return ShipmentEvent.NotApplied.SAME_STATUS
    if status not in SHIPMENT_MACHINE.transitions[shipment.status]:
        return ShipmentEvent.NotApplied.NOT_ALLOWED
    return ""


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
    store_not_allowed: bool = False,
) -> RecordedEvent:
    """Store a carrier event and move the shipment to its status when the event is news.

    Under the shipment's row lock, whichever door the event came through:

    - a repeat of an event already stored (same status, code and instant) is a no-op:
      the first event comes back with ``created`` False;
    - a late event, older than the newest event the shipment has taken in, is stored but not
      applied (``late``): no status change, no signal, the ETA is kept. Never backwards;
    - the shipment's current status again is stored without a transition (``same_status``);
      its ETA is taken;
    - a move the shipment machine forbids raises :class:`core.transitions.InvalidTransition`
      and stores nothing, or with ``store_not_allowed`` (a carrier's word cannot be refused)
      is stored but not applied (``not_allowed``);
    - otherwise the shipment moves to ``status`` (taking the event's ETA).

    An applied or same-status event whose ETA is later than the shipment's by more than
    ``ETA_SLIP_THRESHOLD_HOURS`` then moves the shipment to ``delayed`` with the new date.
    """
    key = _event_dedupe_key(status=status, carrier_code=carrier_code, occurred_at=occurred_at)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        existing = ShipmentEvent.objects.filter(shipment=locked, dedupe_key=key).first()
        if existing:
            return RecordedEvent(existing, created=False)
        reason = _not_applied_reason(shipment=locked, status=status, occurred_at=occurred_at)
        if reason == ShipmentEvent.NotApplied.NOT_ALLOWED and not store_not_allowed:
            SHIPMENT_MACHINE.check(locked.status, status)
        event = ShipmentEvent.objects.create(
            shipment=locked,
            status=status,
            carrier_code=carrier_code,
            description=description,
            location=location,
            occurred_at=occurred_at,
            estimated_delivery=estimated_delivery,
            applied=not reason,
            not_applied_reason=reason,
            dedupe_key=key,
            raw=raw or {},
        )
        if reason in (ShipmentEvent.NotApplied.LATE, ShipmentEvent.NotApplied.NOT_ALLOWED):
            return RecordedEvent(event, created=True)
        previous_eta = locked.estimated_delivery
        if not reason:
            locked = shipment_transition(
                shipment=locked,
                to_status=status,
                actor=actor,
                reason=description or f"carrier event {carrier_code}".strip(),
                estimated_delivery=estimated_delivery,
            )
        elif estimated_delivery and estimated_delivery != locked.estimated_delivery:
            locked.estimated_delivery = estimated_delivery
            locked.save(update_fields=["estimated_delivery"])
        delayed = _shipment_delay_on_eta_slip(
            shipment=locked, previous_eta=previous_eta, new_eta=estimated_delivery, actor=actor
        )
    return RecordedEvent(event, created=True, delayed=delayed)


def _shipment_delay_on_eta_slip(*, shipment: Shipment, previous_eta, new_eta, actor: str) -> bool:
    """Move the shipment to ``delayed`` when its ETA slipped past the threshold (the customer
    hears about the slip); True when it moved."""
    threshold = timedelta(hours=settings.ETA_SLIP_THRESHOLD_HOURS)
    if not (new_eta and previous_eta and new_eta - previous_eta > threshold):
        return False
    if Shipment.Status.DELAYED not in SHIPMENT_MACHINE.transitions[shipment.status]:
        return False  # already delayed, or past it (delivered, returned)
    shipment_transition(
        shipment=shipment,
        to_status=Shipment.Status.DELAYED,
        actor=actor,
        estimated_delivery=new_eta,
        reason=f"ETA slipped from {previous_eta:%Y-%m-%d %H:%M} to {new_eta:%Y-%m-%d %H:%M}",
    )
    return True
