"""The agents' work queues fed by customers' replies: reschedule and callback requests."""
from django.db import models
from django.utils import timezone


class AgentQueueItem(models.Model):
    """What every agents' queue row carries: when it came, who works on it, when it was handled."""

    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=120, blank=True)
    assigned_to = models.CharField(max_length=150, blank=True, help_text="The agent working on it (username)")
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        abstract = True


class RescheduleRequest(AgentQueueItem):
    """A customer asked (by replying RESCHEDULE) to move the delivery of a shipment."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="reschedule_requests")
    shipment = models.ForeignKey("orders.Shipment", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reschedule_requests")
    inbound = models.OneToOneField("notifications.InboundMessage", on_delete=models.CASCADE, related_name="reschedule_request")
    link = models.CharField(max_length=500, blank=True, help_text="The carrier's reschedule link we replied with")

    def __str__(self):
        return f"Reschedule shipment {self.shipment_id} for {self.customer}"

    class Meta(AgentQueueItem.Meta):
        db_table = "notifications_reschedulerequest"  # the table it had before it moved here


class CallbackRequest(AgentQueueItem):
    """A customer asked (CALL ME) to be called back; the agents' queue."""

    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="callback_requests")
    phone = models.CharField(max_length=20)
    inbound = models.OneToOneField("notifications.InboundMessage", on_delete=models.CASCADE, related_name="callback_request")

    def __str__(self):
        return f"Call {self.phone}"

    class Meta(AgentQueueItem.Meta):
        db_table = "notifications_callbackrequest"  # the table it had before it moved here
