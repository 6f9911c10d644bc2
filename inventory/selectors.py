"""Reads of products and stock."""

from inventory.models import Product


def products_by_sku(*, brand_id: int, skus: list[str]) -> dict[str, Product]:
    return {p.sku: p for p in Product.objects.filter(brand_id=brand_id, sku__in=set(skus))}
