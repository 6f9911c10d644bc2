"""Admin for sales channels, orders, lines, shipments and carrier events. Statuses are read-only
here: they move through actions generated from the state machines, which call the services."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import AuditLogInline, ReadOnlyAdminMixin, ReadOnlyInline, transition_actions
from orders.models import Order, OrderLine, Shipment, ShipmentEvent, ShipmentLine
from orders.services import (
    BACKORDER_MACHINE,
    ORDER_MACHINE,
    SHIPMENT_MACHINE,
    order_line_backorder_transition,
    order_transition,
    shipment_transition,
)


def _order_transition(order, target, **kwargs):
    return order_transition(order=order, to_status=target, **kwargs)


def _shipment_transition(shipment, target, **kwargs):
    return shipment_transition(shipment=shipment, to_status=target, **kwargs)


def _backorder_transition(line, target, **kwargs):
    return order_line_backorder_transition(line=line, to_state=target, **kwargs)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "name", "quantity", "unit_price", "backorder_state")
    show_change_link = True


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ("carrier", "tracking_number", "status", "estimated_delivery", "status_changed_at")
    show_change_link = True


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "sales_channel", "customer", "status", "total", "currency", "placed_at")
    list_filter = ("status", "sales_channel", "currency")
    search_fields = ("number", "external_id", "customer__name", "customer__email", "shipments__tracking_number")
    date_hierarchy = "placed_at"
    list_select_related = ("sales_channel", "customer")
    readonly_fields = (
        "sales_channel",
        "number",
        "external_id",
        "customer",
        "status",
        "status_changed_at",
        "placed_at",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("sales_channel", "number", "external_id", "customer", "status", "status_changed_at")}),
        ("Amounts", {"fields": ("currency", "subtotal", "shipping_total", "tax_total", "total")}),
        ("Delivery", {"fields": ("shipping_address",)}),
        ("Dates", {"fields": ("placed_at", "created_at")}),
    )
    inlines = [OrderLineInline, ShipmentInline, AuditLogInline]
    # An order's shipped/delivered states follow its shipments (order_sync_from_shipments);
    # from the admin an agent only starts processing or cancels.
    actions = transition_actions(
        sm=ORDER_MACHINE,
        apply=_order_transition,
        targets=[Order.Status.PROCESSING, Order.Status.CANCELLED],
        labels={Order.Status.PROCESSING: "Mark processing", Order.Status.CANCELLED: "Cancel"},
    )

    def has_add_permission(self, request):
        return False  # orders come from sales channels through order_create

    def has_delete_permission(self, request, obj=None):
        return False  # an order ends as delivered or cancelled; its history stays


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    """Lines are listed here for their backorder actions (allocate when stock is back)."""

    list_display = ("sku", "name", "quantity", "unit_price", "backorder_state", "order_link")
    list_filter = ("backorder_state", "order__sales_channel")
    search_fields = ("sku", "name", "order__external_id")
    list_select_related = ("order",)
    readonly_fields = ("order", "sku", "product", "name", "quantity", "unit_price", "backorder_state")
    inlines = [AuditLogInline]
    actions = transition_actions(
        sm=BACKORDER_MACHINE,
        apply=_backorder_transition,
        labels={
            OrderLine.Backorder.BACKORDERED: "Mark backordered",
            OrderLine.Backorder.ALLOCATED: "Allocate (stock is back)",
            OrderLine.Backorder.CANCELLED: "Cancel backorder",
        },
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="order", ordering="order__external_id")
    def order_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order)


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ("order_line", "quantity")


class ShipmentEventInline(ReadOnlyInline):
    model = ShipmentEvent
    fields = ("occurred_at", "status", "carrier_code", "description", "location", "applied", "not_applied_reason")


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "order", "status", "estimated_delivery", "status_changed_at", "created_at")
    list_filter = ("status", "carrier", "order__sales_channel")
    search_fields = ("tracking_number", "order__external_id", "order__customer__name")
    date_hierarchy = "created_at"
    list_select_related = ("order",)
    readonly_fields = ("order", "carrier", "tracking_number", "status", "status_changed_at", "created_at")
    fields = (
        "order",
        "carrier",
        "tracking_number",
        "tracking_url",
        "estimated_delivery",
        "status",
        "status_changed_at",
        "created_at",
    )
    inlines = [ShipmentLineInline, ShipmentEventInline, AuditLogInline]
    actions = transition_actions(sm=SHIPMENT_MACHINE, apply=_shipment_transition)

    def has_add_permission(self, request):
        return False  # shipments come from partners through shipment_create

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "shipment",
        "status",
        "carrier_code",
        "location",
        "applied",
        "not_applied_reason",
        "received_at",
    )
    list_filter = ("status", "applied", "not_applied_reason", "shipment__carrier")
    search_fields = ("shipment__tracking_number", "carrier_code", "description", "location")
    date_hierarchy = "occurred_at"
    list_select_related = ("shipment",)
