"""Return services: open a return for an order's lines and move it through its milestones."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import AuditAction
from core.transitions import audit, machine, transition
from returns.models import ReturnLine, ReturnRequest
from returns.signals import return_status_changed

RETURN_MACHINE = machine(
    "return",
    {
        ReturnRequest.Status.REQUESTED: {ReturnRequest.Status.APPROVED, ReturnRequest.Status.REJECTED},
        ReturnRequest.Status.APPROVED: {
            ReturnRequest.Status.LABEL_ISSUED,
            ReturnRequest.Status.IN_TRANSIT,
            ReturnRequest.Status.RECEIVED,
            ReturnRequest.Status.RESOLVED,
        },
        ReturnRequest.Status.LABEL_ISSUED: {ReturnRequest.Status.IN_TRANSIT, ReturnRequest.Status.RECEIVED},
        ReturnRequest.Status.IN_TRANSIT: {ReturnRequest.Status.RECEIVED},
        ReturnRequest.Status.RECEIVED: {ReturnRequest.Status.INSPECTED},
        ReturnRequest.Status.INSPECTED: {ReturnRequest.Status.REFUND_PROCESSING, ReturnRequest.Status.RESOLVED},
        ReturnRequest.Status.REFUND_PROCESSING: {ReturnRequest.Status.REFUNDED},
        ReturnRequest.Status.REFUNDED: {ReturnRequest.Status.RESOLVED},
        ReturnRequest.Status.REJECTED: set(),
        ReturnRequest.Status.RESOLVED: set(),
    },
)

# Fields a transition may set, by target status.
TRANSITION_FIELDS = {
    ReturnRequest.Status.REJECTED: {"rejection_reason"},
    ReturnRequest.Status.LABEL_ISSUED: {"return_carrier", "return_tracking_number", "label_url"},
    ReturnRequest.Status.IN_TRANSIT: {"return_carrier", "return_tracking_number"},
    ReturnRequest.Status.INSPECTED: {"inspection_result", "inspection_notes", "refund_estimate"},
    ReturnRequest.Status.REFUND_PROCESSING: {"refund_estimate"},
    ReturnRequest.Status.REFUNDED: {"refund_amount"},
}
REQUIRED_FIELDS = {
    ReturnRequest.Status.LABEL_ISSUED: {"return_tracking_number"},
    ReturnRequest.Status.INSPECTED: {"inspection_result"},
    ReturnRequest.Status.REFUNDED: {"refund_amount"},
}


def return_create(
    *,
    order,
    lines: list[tuple],
    reason: str,
    refund_estimate: Decimal | None = None,
    external_id: str = "",
    actor: str = "",
) -> tuple[ReturnRequest, bool]:
    """Open a return for ``lines`` (pairs of order line and quantity). Idempotent on the
    partner's ``external_id`` per order. Quantities beyond what was ordered (less what other
    returns already hold) are rejected."""
    if external_id:
        existing = ReturnRequest.objects.filter(order=order, external_id=external_id).first()
        if existing:
            return existing, False
    errors = {}
    if not lines:
        errors["lines"] = ["A return needs at least one line."]
    seen = set()
    for line, qty in lines:
        if line.pk in seen:
            errors.setdefault("lines", []).append(f"SKU {line.sku} is listed twice; give its total quantity once.")
            continue
        seen.add(line.pk)
        if line.order_id != order.pk:
            errors.setdefault("lines", []).append(f"Line {line.pk} does not belong to order {order}.")
            continue
        already = (
            ReturnLine.objects.filter(order_line=line)
            .exclude(return_request__status=ReturnRequest.Status.REJECTED)
            .aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if qty < 1 or qty + already > line.quantity:
            errors.setdefault("lines", []).append(
                f"SKU {line.sku}: can return at most {line.quantity - already}, asked for {qty}."
            )
    if errors:
        raise ValidationError(errors)
    if refund_estimate is None:
        refund_estimate = sum((line.unit_price * qty for line, qty in lines), Decimal("0"))
    try:
        with transaction.atomic():
            ret = ReturnRequest.objects.create(
                order=order,
                reason=reason,
                refund_estimate=refund_estimate,
                external_id=external_id,
                status_changed_at=timezone.now(),
            )
            ReturnLine.objects.bulk_create(
                [ReturnLine(return_request=ret, order_line=ln, quantity=q) for ln, q in lines]
            )
            audit(obj=ret, action=AuditAction.CREATED, to_state=ret.status, actor=actor, reason=reason)
            return_status_changed.send(
                sender=ReturnRequest, instance=ret, from_status=None, to_status=ret.status, actor=actor
            )
    except IntegrityError:
        # A concurrent request with the same external id created it first: return that one.
        existing = external_id and ReturnRequest.objects.filter(order=order, external_id=external_id).first()
        if not existing:
            raise
        return existing, False
    return ret, True


def return_transition(
    *, return_request: ReturnRequest, to_status: str, actor: str = "", reason: str = "", **fields
) -> ReturnRequest:
    """Move a return to ``to_status``, setting the fields that milestone carries (e.g. the
    refund amount when refunded). Unknown or missing fields raise ValidationError."""
    allowed = TRANSITION_FIELDS.get(to_status, set())
    given = {k: v for k, v in fields.items() if v not in (None, "")}
    unexpected = set(given) - allowed
    if unexpected:
        raise ValidationError({f: [f"Not set when moving to '{to_status}'."] for f in sorted(unexpected)})
    missing = REQUIRED_FIELDS.get(to_status, set()) - set(given)
    if missing:
        raise ValidationError({f: [f"Required when moving to '{to_status}'."] for f in sorted(missing)})
    return transition(
        model=ReturnRequest,
        pk=return_request.pk,
        sm=RETURN_MACHINE,
        target=to_status,
        signal=return_status_changed,
        actor=actor,
        reason=reason,
        changes=given,
    )
