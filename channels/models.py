"""What the sandbox provider "sent": its outbox in the database."""

from django.db import models
from django.utils import timezone

from core.channels import Channel


class SandboxMessage(models.Model):
    """What the sandbox provider 'sent': the rendered message, kept for the admin's outbox. A
    repeated send is a second row, as a real provider would hold a second message."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=80, db_index=True)
    delivery = models.ForeignKey(
        "notifications.Delivery", null=True, on_delete=models.SET_NULL, related_name="sandbox_messages"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "notifications_sandboxmessage"  # the table it had before it moved here
        ordering = ["-id"]
        verbose_name = "sandbox outbox message"

    def __str__(self):
        return f"{self.channel} to {self.to}: {self.subject or self.body_text[:40]}"
