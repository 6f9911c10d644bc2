"""Platform models: the append-only audit trail, partners with hashed API tokens, stored
responses for ``Idempotency-Key`` requests, and the count of messages the broker did not take."""
import hashlib
import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditLog(models.Model):
    """One row per state change made by a service: who, what, from, to, why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(max_length=64)
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


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Partner(models.Model):
    """A partner system (shop, marketplace, warehouse, carrier) calling the REST API."""

    name = models.CharField(max_length=120, unique=True)
    sales_channels = models.ManyToManyField("orders.SalesChannel", related_name="partners", blank=True)
    token_prefix = models.CharField(max_length=12, editable=False, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # DRF treats the authenticated principal like a user.
    is_authenticated = True
    is_anonymous = False

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def set_new_token(self) -> str:
        """Give the partner a fresh token; returns it (only its hash is stored)."""
        raw = "wp_" + secrets.token_urlsafe(32)
        self.token_prefix = raw[:10]
        self.token_hash = hash_token(raw)
        return raw


class IdempotencyKey(models.Model):
    """The first response to a request carrying an ``Idempotency-Key``, replayed for repeats."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="uniq_partner_idem_key")]


class PublishFailure(models.Model):
    """Messages the broker did not take, per task, counted by ``core.publishing.publish`` in every
    web and worker process (``waypost_broker_publish_failures_total`` on ``/metrics``)."""

    task = models.CharField(max_length=200, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    last_failed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.task}: {self.count}"
