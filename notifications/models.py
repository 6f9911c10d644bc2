"""The pipeline's tables: events (the outbox), notifications, deliveries, provider attempts and
receipts, suppressions, inbound messages and digests."""

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from catalogue.models import Rule
from core.channels import Channel


class Event(models.Model):
    """Something happened (``shipment.delivered``). Written in the domain change's transaction;
    immutable except for the processing bookkeeping."""

    type = models.CharField(max_length=60, db_index=True)
    # order, shipment, order_line, return, stock, customer; and for events recorded with the
    # notification they caused: digest, inbound (a text we answered), template (a studio test send)
    subject_type = models.CharField(max_length=20)
    subject_id = models.BigIntegerField()
    brand = models.ForeignKey("customers.Brand", null=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When the sweeper last queued it again")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(processed_at__isnull=True), name="event_unprocessed_idx"
            ),
            models.Index(fields=["subject_type", "subject_id"]),
        ]

    def __str__(self):
        return f"{self.type} #{self.subject_id}"


class Notification(models.Model):
    """One message intent for one customer, unique by its dedupe key.

    Most are planned from an event by the rules and rendered from their type's template. A few
    are *direct* (``services.direct``): written before they are queued, kept in ``content``, to
    an explicit address (a studio test send, the answer to a text). Those name no customer when
    the number that texted us belongs to none, and no brand when nothing tells which one."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        SUPERSEDED = "superseded", "Superseded by a newer update"
        NOT_SENT = "not_sent", "Not sent (no usable channel)"
        DEAD = "dead", "Failed on every channel"

    class Hold(models.TextChoices):
        QUIET_HOURS = "quiet_hours", "Quiet hours"
        DIGEST = "digest", "Daily digest"
        CAP = "cap", "Frequency cap (next digest)"

    dedupe_key = models.CharField(max_length=200, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="None: an answer to a number we do not know",
    )
    brand = models.ForeignKey("customers.Brand", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    notification_type = models.ForeignKey(
        "catalogue.NotificationType", on_delete=models.PROTECT, related_name="notifications"
    )
    rule = models.ForeignKey("catalogue.Rule", null=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="notifications")
    subject_key = models.CharField(max_length=60, db_index=True, help_text="e.g. shipment:12; coalescing scope")
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    return_request = models.ForeignKey(
        "returns.ReturnRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    language = models.CharField(max_length=16)
    channels = models.JSONField(default=list, help_text="The allowed plan, in order")
    mode = models.CharField(max_length=10, choices=Rule.Mode.choices, default=Rule.Mode.FALLBACK)
    skipped = models.JSONField(default=dict, blank=True, help_text="Channels left out of the plan and why")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was not sent, if so")
    priority = models.PositiveSmallIntegerField(default=5)
    send_after = models.DateTimeField(default=timezone.now)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hold = models.CharField(
        max_length=12,
        choices=Hold.choices,
        blank=True,
        default="",
        help_text="Why it waits: quiet hours, the daily digest, or a frequency cap",
    )
    digest = models.ForeignKey(
        "Digest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        help_text="The digest that carried it",
    )
    content = models.JSONField(
        default=dict,
        blank=True,
        help_text="A direct notification's message, already written (subject, preheader, body_text, body_html, "
        "link), composed instead of a template; with provider and sender when it must go out through "
        "that provider and from that sender (an answer to a text), and in_reply_to (the inbound message)",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "subject_key", "status"]),
            models.Index(
                fields=["send_after"],
                condition=models.Q(hold="digest", status="planned"),
                name="notification_digest_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.notification_type.key} to {self.customer or 'an unknown recipient'}"


class Delivery(models.Model):
    """A notification on one channel, with its own state machine."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RECONCILING = "reconciling", "Outcome unknown: checking with the provider"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed on this channel"
        BOUNCED = "bounced", "Bounced"
        SUPPRESSED = "suppressed", "Suppressed"
        SUPERSEDED = "superseded", "Superseded"
        DEAD = "dead", "Dead (all channels failed)"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    to = models.CharField(max_length=254, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    retry_floor = models.PositiveSmallIntegerField(default=0, help_text="attempt_count when last requeued")
    send_after = models.DateTimeField(
        default=timezone.now, help_text="When it may be sent (pending) or looked up at the provider next (reconciling)"
    )
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While sending: until when the worker "
        "holds it (past this, its outcome is unknown and it is reconciled)",
    )
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When the dispatch sweeper last queued it")
    error = models.TextField(blank=True)
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    provider_status = models.CharField(max_length=30, blank=True, help_text="Last status a provider receipt reported")
    receipt_at = models.DateTimeField(null=True, blank=True, help_text="When the delivery receipt arrived")
    opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)
    click_count = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(
        null=True, blank=True, help_text="When the recipient read it (WhatsApp read receipts)"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=models.Q(resend_of__isnull=True),
                name="uniq_delivery_per_channel",
            )
        ]
        indexes = [
            models.Index(fields=["send_after"], condition=models.Q(status="pending"), name="delivery_due_idx"),
            # A send message filling its batch with the channel's oldest due deliveries: an index
            # scan that stops at the batch, whatever the backlog (the bench's 50,000-event spike).
            models.Index(
                fields=["channel", "send_after"], condition=models.Q(status="pending"), name="delivery_due_channel_idx"
            ),
            # The sweeper's two other questions: which leases ran out, which look-ups are due.
            models.Index(fields=["lease_until"], condition=models.Q(status="sending"), name="delivery_lease_idx"),
            models.Index(
                fields=["send_after"], condition=models.Q(status="reconciling"), name="delivery_reconcile_due_idx"
            ),
            models.Index(fields=["status"]),
            # The KPI dashboard's grouped counts by period, channel, provider and status (issue 8).
            models.Index(fields=["created_at", "channel", "provider", "status"], name="delivery_kpi_idx"),
            # "First text to this number?" (the SMS STOP footer), asked on every SMS send.
            models.Index(
                fields=["to", "channel"], condition=models.Q(sent_at__isnull=False), name="delivery_sent_to_idx"
            ),
        ]

    def __str__(self):
        return f"{self.channel} delivery #{self.pk}"


class DeliveryAttempt(models.Model):
    """One call to one provider, keyed ``wp-<delivery>-<number>`` (sent to providers that take an
    idempotency key). An attempt whose outcome is unknown (the call timed out after sending, the
    connection dropped, the worker died) keeps outcome ``unknown`` until reconciliation finds the
    message at the provider (then ``accepted``, with ``resolution`` saying how) or concludes it
    never arrived (``resolution`` not_found)."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        ACCEPTED = "accepted", "Accepted"
        TRANSIENT = "transient", "Not sent (retried)"
        UNKNOWN = "unknown", "Outcome unknown"
        PERMANENT = "permanent", "Permanent error"

    class Resolution(models.TextChoices):
        NONE = "", "-"
        FOUND = "found", "Found at the provider by look-up"
        RECEIPT = "receipt", "A receipt from the provider showed it arrived"
        LATE_ANSWER = "late_answer", "The provider's answer came after the lease"
        NOT_FOUND = "not_found", "Not found at the provider after it settled"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    provider = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=80, unique=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.IN_FLIGHT)
    provider_message_id = models.CharField(max_length=200, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_text = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=5, null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    body_digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the text sent, for providers whose look-up can only match on it",
    )

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="uniq_attempt_number")]
        indexes = [models.Index(fields=["started_at", "outcome"], name="attempt_kpi_idx")]

    def __str__(self):
        return f"{self.provider} attempt {self.number} ({self.outcome})"


class ProviderEvent(models.Model):
    """One webhook event from a provider (delivery receipt, bounce, open, inbound message),
    unique by the provider's event id so a repeated webhook changes nothing."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, help_text="Normalised: delivered, bounced, opened, ...")
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="provider_events"
    )
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    recipient = models.CharField(max_length=254, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    applied = models.BooleanField(default=False, help_text="Whether it changed the delivery")
    detail = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="uniq_provider_event")]

    def __str__(self):
        return f"{self.provider} {self.kind} {self.event_id}"


class Suppression(models.Model):
    """An address we must not send to on a channel (hard bounce, spam complaint, invalid number,
    an agent's decision). Lifting keeps the row, with who and why."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        INVALID = "invalid", "Invalid address"
        MANUAL = "manual", "Added by an agent"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=120, blank=True, help_text="provider event, user:…")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=120, blank=True)
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address"],
                condition=models.Q(lifted_at__isnull=True),
                name="uniq_active_suppression",
            )
        ]
        # The dispatcher's case-insensitive lookup of a batch's addresses.
        indexes = [
            models.Index(
                Upper("address"),
                "channel",
                condition=models.Q(lifted_at__isnull=True),
                name="suppression_active_addr_idx",
            )
        ]

    def __str__(self):
        return f"{self.channel} {self.address} ({self.reason})"


# --- Two-way SMS: what customers text back ------------------------------------------------------


class InboundMessage(models.Model):
    """A text a customer sent us (SMS or WhatsApp), unique by the provider's message id so a
    repeated webhook is handled once. Keywords act at once; anything else waits in the agents'
    inbox. ``reply`` is the one automatic answer: a direct notification, whose delivery and
    attempts say what became of it."""

    class Kind(models.TextChoices):
        STOP = "stop", "Opt-out keyword"
        START = "start", "Opt-in keyword"
        HELP = "help", "Help keyword"
        RESCHEDULE = "reschedule", "Reschedule request"
        CALL_ME = "call_me", "Callback request"
        OTHER = "other", "Message for an agent"

    provider = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    provider_message_id = models.CharField(max_length=200)
    from_number = models.CharField(max_length=20, db_index=True, help_text="E.164")
    to_number = models.CharField(max_length=40, blank=True, help_text="Our number or sender it was sent to")
    text = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True, help_text="When an agent dealt with it")
    handled_by = models.CharField(max_length=120, blank=True)
    assigned_to = models.CharField(max_length=150, blank=True, help_text="The agent working on it (username)")
    assigned_at = models.DateTimeField(null=True, blank=True)
    reply = models.OneToOneField(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="answered_inbound",
        help_text="The automatic answer",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "provider_message_id"], name="uniq_inbound_message")]
        indexes = [models.Index(fields=["kind", "handled_at"])]

    def __str__(self):
        return f"{self.from_number}: {self.text[:40]}"


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
    shipment = models.ForeignKey(
        "orders.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="reschedule_requests"
    )
    inbound = models.OneToOneField(InboundMessage, on_delete=models.CASCADE, related_name="reschedule_request")
    link = models.CharField(max_length=500, blank=True, help_text="The carrier's reschedule link we replied with")

    def __str__(self):
        return f"Reschedule shipment {self.shipment_id} for {self.customer}"


class CallbackRequest(AgentQueueItem):
    """A customer asked (CALL ME) to be called back; the agents' queue."""

    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="callback_requests"
    )
    phone = models.CharField(max_length=20)
    inbound = models.OneToOneField(InboundMessage, on_delete=models.CASCADE, related_name="callback_request")

    def __str__(self):
        return f"Call {self.phone}"


class Digest(models.Model):
    """One daily digest for one customer on one channel: the held notifications it carries are its
    ``items``; it is sent as its own notification (``notification``). Unique per customer, channel
    and local day, so a second build of the same digest finds it and sends nothing."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="digests")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    day = models.DateField(help_text="The customer's local date of the digest")
    key = models.CharField(max_length=80, unique=True, help_text="customer:channel:day")
    notification = models.OneToOneField(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="digest_sent"
    )
    item_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"digest {self.key}"
