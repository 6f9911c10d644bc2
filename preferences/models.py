"""A customer's choices about being told: consent per channel (with its log), per-type channel
choices, language, quiet hours and digest rhythm, browser push subscriptions, and the short links
of the preference center."""

from django.db import models

from core.channels import Channel


class ChannelConsent(models.Model):
    """Legal consent for a whole channel (an SMS STOP, an email list unsubscribe). An opt-out here
    stops the channel even for critical messages."""

    class State(models.TextChoices):
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="channel_consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = models.CharField(max_length=10, choices=State.choices)
    source = models.CharField(max_length=60, blank=True, help_text="sms_keyword, email_unsubscribe, agent, api, center")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "channel"], name="uniq_channel_consent")]

    def __str__(self):
        return f"{self.customer} {self.channel}: {self.state}"


class TypePreference(models.Model):
    """The customer's choice for one notification type on one channel (critical types ignore
    an ``enabled=False`` here; consent law does not)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="type_preferences")
    type_key = models.CharField(max_length=60, help_text="A notification type key, e.g. shipment_shipped")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "type_key", "channel"], name="uniq_type_preference")]

    def __str__(self):
        return f"{self.customer} {self.type_key}/{self.channel}: {'on' if self.enabled else 'off'}"


class ConsentLog(models.Model):
    """Append-only record of every consent change (channel-wide or per type): who, how, from what
    to what, and what prompted it. Never edited or deleted."""

    class Source(models.TextChoices):
        SMS_KEYWORD = "sms_keyword", "SMS keyword (STOP/START)"
        CENTER = "center", "Preference center"
        AGENT = "agent", "Support agent"
        API = "api", "Partner API"
        EMAIL_UNSUBSCRIBE = "email_unsubscribe", "Email unsubscribe"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="consent_log")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    type_key = models.CharField(max_length=60, blank=True, help_text="Empty: the whole channel")
    old_state = models.CharField(max_length=10, blank=True)
    new_state = models.CharField(max_length=10)
    source = models.CharField(max_length=20, choices=Source.choices)
    actor = models.CharField(max_length=120, blank=True, help_text="e.g. sms:+14155550100, user:alice")
    delivery_id = models.BigIntegerField(null=True, blank=True, help_text="The message that prompted it, if any")
    notification_id = models.BigIntegerField(null=True, blank=True)
    reference = models.CharField(max_length=200, blank=True, help_text="e.g. vonage inbound message id")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.customer} {self.channel}{'/' + self.type_key if self.type_key else ''}: {self.old_state or '-'} -> {self.new_state}"


def _default_quiet_channels():
    return ["sms", "whatsapp", "push"]


class CustomerPreferences(models.Model):
    """How a customer wants to hear from the brand, beyond per-type on/off: the order of channels,
    quiet hours in their time zone, daily digests per category, and when their app was last seen.
    One row per customer, created with the defaults the first time anything reads it."""

    class Rhythm(models.TextChoices):
        INSTANT = "instant", "Instant"
        DAILY = "daily", "Daily digest"

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="preferences")
    channel_order = models.JSONField(
        default=list,
        blank=True,
        help_text='Preferred channels, first that works wins, e.g. ["push", "sms", "email"]; empty: the rule\'s order',
    )
    quiet_hours_enabled = models.BooleanField(default=True)
    quiet_start = models.TimeField(default="21:00")
    quiet_end = models.TimeField(default="08:00")
    quiet_channels = models.JSONField(
        default=_default_quiet_channels,
        blank=True,
        help_text="Channels held during quiet hours (email never is by default)",
    )
    rhythm = models.JSONField(
        default=dict, blank=True, help_text='Per category: {"shipping": "daily"}; missing = instant'
    )
    digest_hour = models.PositiveSmallIntegerField(default=18, help_text="Local hour (0-23) of the daily digest")
    app_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="Last time the merchant's app reported the device"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "customer preferences"

    def __str__(self):
        return f"Preferences of {self.customer}"

    def rhythm_for(self, category: str) -> str:
        return (self.rhythm or {}).get(category, self.Rhythm.INSTANT)


class PushSubscription(models.Model):
    """A browser's Web Push subscription (from the preference center). Live until the push service
    answers 404/410, then ``expired_at`` is set and it is never used again."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"push for {self.customer} ({'expired' if self.expired_at else 'live'})"

    def subscription_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class ShortLink(models.Model):
    """A short code for SMS (``/p/s/<code>/``) that resolves to a fresh signed preference link
    while it is younger than the link lifetime."""

    code = models.CharField(max_length=16, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="short_links")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return self.code
