"""Platform models: the append-only audit trail, and the count of messages the broker did not take."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.audit import AuditAction


class AuditLog(models.Model):
    """One row per state change made by a service: who, what, from, to, why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    from_state = models.CharField(max_length=64, blank=True)
    to_state = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=200, blank=True, help_text="user:…, partner:…, system:…")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.content_type.model}#{self.object_id} {self.action} {self.from_state}->{self.to_state}"


class PublishFailure(models.Model):
    """Messages the broker did not take, per task, counted by ``core.publishing.publish`` in every
    web and worker process (``waypost_broker_publish_failures_total`` on ``/metrics``)."""

    task = models.CharField(max_length=200, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    last_failed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.task}: {self.count}"
