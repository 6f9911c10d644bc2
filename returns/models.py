"""Return requests and the order lines they send back."""

import secrets

from django.db import models


def _new_return_code() -> str:
    return "R" + secrets.token_hex(4).upper()


class ReturnRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        LABEL_ISSUED = "label_issued", "Label issued"
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        INSPECTED = "inspected", "Inspected"
        REFUND_PROCESSING = "refund_processing", "Refund processing"
        REFUNDED = "refunded", "Refunded"
        RESOLVED = "resolved", "Resolved"

    class Inspection(models.TextChoices):
        PENDING = "", "Not inspected"
        ACCEPTED = "accepted", "Accepted"
        PARTIAL = "partial", "Partially accepted"
        REFUSED = "refused", "Refused"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    code = models.CharField(max_length=16, unique=True, default=_new_return_code, help_text="Return authorisation code")
    external_id = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    refund_estimate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    return_carrier = models.CharField(max_length=40, blank=True)
    return_tracking_number = models.CharField(max_length=80, blank=True, db_index=True)
    label_url = models.URLField(blank=True, max_length=500)
    inspection_result = models.CharField(max_length=10, choices=Inspection.choices, blank=True, default="")
    inspection_notes = models.TextField(blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], condition=~models.Q(external_id=""), name="uniq_return_external_id"
            )
        ]

    def __str__(self):
        return f"Return {self.code}"


class ReturnLine(models.Model):
    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["return_request", "order_line"], name="uniq_return_line")]

    def __str__(self):
        return f"{self.quantity} of line #{self.order_line_id} in return #{self.return_request_id}"
