"""Intake models: raw payloads from every source (stored before they are acknowledged), each
sales channel's intake settings (webhook secret, validation overrides), and carrier tracking
accounts (webhook secret, poll settings, circuit breaker) with their status-code mappings."""

from django.db import models

from customers.models import SalesChannel
from orders.models import Shipment


class ChannelIntakeSettings(models.Model):
    """A sales channel's webhook secret and its validation overrides (the account context)."""

    sales_channel = models.OneToOneField(SalesChannel, on_delete=models.CASCADE, related_name="intake_settings")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Shared secret the shop signs its webhooks with"
    )
    validation_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Overrides of the channel kind\'s profile, e.g. {"shipping_address": "optional", '
        '"relay_email_domains": ["relay.example"]}',
    )

    class Meta:
        db_table = "orders_channelintakesettings"  # the table it had before it moved here
        verbose_name = verbose_name_plural = "channel intake settings"

    def __str__(self):
        return f"intake settings of {self.sales_channel}"


class IntakeRecord(models.Model):
    """One payload as received (raw body and headers, never changed) plus its working copy
    (``payload``, editable by an agent before a replay) and what processing made of it."""

    class Kind(models.TextChoices):
        SHOPIFY = "shopify", "Shopify webhook"
        WOOCOMMERCE = "woocommerce", "WooCommerce webhook"
        MARKETPLACE = "marketplace", "Marketplace report row"
        PARTNER = "partner", "Partner API"
        CARRIER = "carrier", "Carrier webhook"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received (waiting)"
        PROCESSED = "processed", "Processed"
        WARNING = "warning", "Processed with warnings"
        FAILED = "failed", "Failed (dead letter)"
        RESOLVED = "resolved", "Resolved (replayed)"

    source = models.CharField(max_length=120, db_index=True, help_text="kind:channel-slug or carrier:slug")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    topic = models.CharField(max_length=60, blank=True, help_text="e.g. orders/create, order.updated, row")
    sales_channel = models.ForeignKey(
        SalesChannel, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_records"
    )
    carrier = models.CharField(max_length=40, blank=True)
    delivery_id = models.CharField(
        max_length=120,
        null=True,
        blank=True,
        help_text="The source's own id of this delivery (a repeat is stored once)",
    )
    raw_body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text="Working copy: edit it, then replay")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True, help_text="[{field, rule, message}]")
    errors = models.JSONField(default=list, blank=True, help_text="[{field, rule, message}]")
    impact_score = models.IntegerField(
        default=0, db_index=True, help_text="Order value, customer tier and time sensitivity"
    )
    result = models.JSONField(default=dict, blank=True, help_text="What processing did (order, shipment ids)")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "orders_intakerecord"  # the table it had before it moved here
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "delivery_id"], name="uniq_intake_delivery")]
        indexes = [models.Index(fields=["status", "received_at"]), models.Index(fields=["source", "status"])]

    def __str__(self):
        return f"{self.source} {self.topic} #{self.pk}"

    @property
    def reason(self) -> str:
        return "; ".join(f"{e.get('field') or '-'}: {e.get('rule')}" for e in self.errors)


class CarrierAccount(models.Model):
    """A carrier Waypost tracks: which adapter reads its formats, how its webhooks are verified,
    and how (and whether) it is polled, with the poller's circuit breaker state."""

    class Circuit(models.TextChoices):
        CLOSED = "closed", "Closed (polling)"
        OPEN = "open", "Open (paused after failures)"
        HALF_OPEN = "half_open", "Half open (one trial poll)"

    carrier = models.SlugField(max_length=40, unique=True, help_text="As on shipments, e.g. ups, dhl")
    name = models.CharField(max_length=120, blank=True)
    adapter = models.CharField(max_length=40, default="generic", help_text="generic, aftership, dhl, ...")
    webhook_secret = models.CharField(max_length=200, blank=True)
    has_webhooks = models.BooleanField(default=False, help_text="Webhooks push events: no polling needed")
    poll_enabled = models.BooleanField(default=True)
    poll_interval_minutes = models.PositiveIntegerField(default=15)
    base_url = models.URLField(blank=True, help_text="Tracking API base URL for the poller")
    api_key = models.CharField(max_length=200, blank=True)
    timeout_seconds = models.FloatField(default=10.0)
    max_retries = models.PositiveSmallIntegerField(default=3, help_text="Retries per poll on timeouts and 5xx")
    backoff_seconds = models.FloatField(default=2.0, help_text="First retry wait; doubles each retry, with jitter")
    failure_threshold = models.PositiveSmallIntegerField(
        default=5, help_text="Failed polls in a row that open the circuit"
    )
    cooldown_seconds = models.PositiveIntegerField(default=600, help_text="Open circuit: wait before a trial poll")
    circuit_state = models.CharField(max_length=10, choices=Circuit.choices, default=Circuit.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    circuit_opened_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "orders_carrieraccount"  # the table it had before it moved here
        ordering = ["carrier"]

    def __str__(self):
        return self.name or self.carrier


class CarrierStatusMapping(models.Model):
    """A carrier's (or carrier format's) status code and the Waypost shipment status it means.
    Looked up by the shipment's carrier first, then by its account's adapter name."""

    carrier = models.CharField(max_length=40, help_text="A carrier slug or an adapter name (generic, aftership, dhl)")
    code = models.CharField(max_length=60)
    status = models.CharField(
        max_length=24, choices=Shipment.Status.choices, blank=True, help_text="Blank: store the event, change nothing"
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "orders_carrierstatusmapping"  # the table it had before it moved here
        ordering = ["carrier", "code"]
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="uniq_carrier_status_code")]

    def __str__(self):
        return f"{self.carrier}:{self.code} -> {self.status or '(ignored)'}"
