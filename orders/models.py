"""Orders, order lines, shipments and carrier tracking events."""

from django.db import models


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        PROCESSING = "processing", "Processing"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    sales_channel = models.ForeignKey("customers.SalesChannel", on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(
        max_length=120,
        help_text="The order's id in its sales channel: what later updates from the channel name it by",
    )
    number = models.CharField(
        max_length=120,
        blank=True,
        default="",
        db_index=True,
        help_text="The order number the customer sees (Shopify's 1042 for its order 6102938475610), "
        "without a leading '#'; the external id when the channel has no other",
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="orders")
    currency = models.CharField(max_length=3, default="USD")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_address = models.JSONField(default=dict, blank=True)
    placed_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLACED, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["sales_channel", "external_id"], name="uniq_order_per_channel")]

    def __str__(self):
        return f"#{self.number or self.external_id}"


class OrderLine(models.Model):
    class Backorder(models.TextChoices):
        NONE = "none", "In stock"
        BACKORDERED = "backordered", "Backordered"
        ALLOCATED = "allocated", "Allocated (back in stock)"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64, db_index=True)
    product = models.ForeignKey(
        "inventory.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    name = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    backorder_state = models.CharField(max_length=20, choices=Backorder.choices, default=Backorder.NONE, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"


class Shipment(models.Model):
    class Status(models.TextChoices):
        LABEL_CREATED = "label_created", "Label created"
        SHIPPED = "shipped", "Shipped"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        DELIVERY_EXCEPTION = "delivery_exception", "Delivery exception"
        DELAYED = "delayed", "Delayed"
        RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    lines = models.ManyToManyField(OrderLine, through="ShipmentLine", related_name="shipments", blank=True)
    carrier = models.CharField(max_length=40)
    tracking_number = models.CharField(max_length=80, db_index=True)
    tracking_url = models.URLField(blank=True, max_length=500)
    estimated_delivery = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.LABEL_CREATED, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["carrier", "tracking_number"], name="uniq_tracking_per_carrier")]

    def __str__(self):
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE)
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shipment", "order_line"], name="uniq_line_per_shipment")]

    def __str__(self):
        return f"{self.quantity} of line #{self.order_line_id} in shipment #{self.shipment_id}"


class ShipmentEvent(models.Model):
    """One carrier scan. ``dedupe_key`` makes a repeated carrier event a no-op; an event that did
    not move the shipment says why in ``not_applied_reason``."""

    class NotApplied(models.TextChoices):
        LATE = "late", "Late (older than the newest event the shipment took in)"
        NOT_ALLOWED = "not_allowed", "Not allowed from the shipment's status"
        SAME_STATUS = "same_status", "The shipment's status already"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=24, choices=Shipment.Status.choices)
    carrier_code = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField(help_text="The carrier's own timestamp of the scan")
    received_at = models.DateTimeField(auto_now_add=True)
    estimated_delivery = models.DateTimeField(null=True, blank=True)
    applied = models.BooleanField(default=False, help_text="Whether the event moved the shipment's status")
    not_applied_reason = models.CharField(
        max_length=20,
        choices=NotApplied.choices,
        blank=True,
        help_text="Why the event did not move the shipment (empty when it did)",
    )
    dedupe_key = models.CharField(max_length=64)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_key"], name="uniq_shipment_event"),
            models.CheckConstraint(
                condition=models.Q(applied=True, not_applied_reason="")
                | models.Q(applied=False) & ~models.Q(not_applied_reason=""),
                name="shipment_event_applied_or_reason",
            ),
        ]

    def __str__(self):
        return f"{self.shipment} {self.status} @ {self.occurred_at:%Y-%m-%d %H:%M}"
