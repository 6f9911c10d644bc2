"""Partner systems that call the API: partners with hashed tokens and the sales channels they may
act for, and the stored answers of idempotent requests."""

import hashlib
import secrets

from django.db import models


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Partner(models.Model):
    """A partner system (shop, marketplace, warehouse, carrier) calling the REST API."""

    name = models.CharField(max_length=120, unique=True)
    sales_channels = models.ManyToManyField("customers.SalesChannel", related_name="partners", blank=True)
    token_prefix = models.CharField(max_length=12, editable=False, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # DRF treats the authenticated principal like a user.
    is_authenticated = True
    is_anonymous = False

    class Meta:
        db_table = "core_partner"  # the table it had before it moved here
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
        db_table = "core_idempotencykey"  # the table it had before it moved here
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="uniq_partner_idem_key")]

    def __str__(self):
        return f"{self.method} {self.path} ({self.key})"
