"""Reads of orders and shipments that are more than a filter."""

from django.db.models import Prefetch, QuerySet

from customers.models import SalesChannel
from orders.models import Order, Shipment


def orders_for_channels(*, channels) -> QuerySet[Order]:
    return (
        Order.objects.filter(sales_channel__in=channels)
        .select_related("sales_channel", "customer")
        .prefetch_related("lines", Prefetch("shipments", queryset=Shipment.objects.order_by("id")))
    )


def shipments_for_channels(*, channels) -> QuerySet[Shipment]:
    return Shipment.objects.filter(order__sales_channel__in=channels).select_related("order", "order__sales_channel")


def channel_by_slug(*, slug: str) -> SalesChannel | None:
    return SalesChannel.objects.select_related("brand").filter(slug=slug).first()
