"""Stock services: race-safe absolute or delta updates that report the thresholds they cross."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import AuditAction
from core.bounds import MAX_STOCK
from core.transitions import audit
from inventory.models import Product, StockLevel, StockThreshold
from inventory.signals import stock_level_changed

_UNSET = object()


def crossed_thresholds(*, before: int, after: int, low: int) -> list[str]:
    crossed = []
    if before >= 0 > after:
        crossed.append(StockThreshold.BELOW_ZERO)
    if before > low >= after:
        crossed.append(StockThreshold.LOW_STOCK)
    if before <= 0 < after:
        crossed.append(StockThreshold.BACK_IN_STOCK)
    return crossed


def product_create(
    *, brand, sku: str, name: str, price, currency: str = "USD", image_url: str = ""
) -> tuple[Product, bool]:
    product, created = Product.objects.get_or_create(
        brand=brand, sku=sku, defaults={"name": name, "price": price, "currency": currency, "image_url": image_url}
    )
    return product, created


def stock_level_update(
    *,
    product: Product,
    on_hand: int | None = None,
    delta: int | None = None,
    reserved: int | None = None,
    low_stock_threshold: int | None = None,
    restock_eta=_UNSET,
    actor: str = "",
    reason: str = "",
) -> tuple[StockLevel, list[str]]:
    """Set ``on_hand`` (absolute) or add ``delta`` to it, under a row lock so concurrent updates
    never lose one. Sends ``stock_level_changed`` with the thresholds crossed."""
    if on_hand is not None and delta is not None:
        raise ValidationError({"delta": ["Give either on_hand (absolute) or delta, not both."]})
    if (
        (on_hand is None) == (delta is None)
        and reserved is None
        and low_stock_threshold is None
        and restock_eta is _UNSET
    ):
        raise ValidationError({"on_hand": ["Give either on_hand (absolute) or delta."]})
    with transaction.atomic():
        StockLevel.objects.get_or_create(product=product)
        level = StockLevel.objects.select_for_update().get(product=product)
        before = level.available
        fields = []
        if on_hand is not None:
            level.on_hand = on_hand
            fields.append("on_hand")
        if delta is not None:
            level.on_hand += delta
            fields.append("on_hand")
            if abs(level.on_hand) > MAX_STOCK:
                raise ValidationError({"delta": [f"On hand would be {level.on_hand}: at most {MAX_STOCK} either way."]})
        if reserved is not None:
            level.reserved = reserved
            fields.append("reserved")
        if low_stock_threshold is not None:
            level.low_stock_threshold = low_stock_threshold
            fields.append("low_stock_threshold")
        if restock_eta is not _UNSET:
            level.restock_eta = restock_eta
            fields.append("restock_eta")
        level.save(update_fields=[*fields, "updated_at"])
        after = level.available
        crossed = crossed_thresholds(before=before, after=after, low=level.low_stock_threshold)
        audit(
            obj=level,
            action=AuditAction.STOCK_CHANGED,
            from_state=str(before),
            to_state=str(after),
            actor=actor,
            reason=reason,
            data={"crossed": list(crossed), "delta": delta, "on_hand": on_hand},
        )
        stock_level_changed.send(
            sender=StockLevel,
            instance=level,
            previous_available=before,
            available=after,
            crossed=[str(c) for c in crossed],
            actor=actor,
        )
    return level, crossed
