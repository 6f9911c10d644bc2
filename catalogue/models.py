"""The message catalogue: notification types, the rules that pick them for events, and their
templates (translated) with every saved version."""

from django.db import models
from django.utils import timezone

from core.channels import Channel


class NotificationType(models.Model):
    class Category(models.TextChoices):
        SHIPPING = "shipping", "Shipping"
        BACKORDER = "backorder", "Backorder"
        RETURNS = "returns", "Returns"
        DIGEST = "digest", "Digest (held updates collected)"
        ACCOUNT = "account", "Account (preference links, answers to texts)"
        STAFF = "staff", "Staff (template test sends; not customer traffic)"

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=12, choices=Category.choices)
    critical = models.BooleanField(
        default=False, help_text="Critical types bypass per-type opt-outs (never consent law)"
    )
    coalesce_group = models.CharField(
        max_length=40,
        blank=True,
        help_text="Types sharing a group supersede each other's pending notifications for the same subject",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order of the milestone in its journey")

    class Meta:
        db_table = "notifications_notificationtype"  # the table it had before it moved here
        ordering = ["category", "position"]

    def __str__(self):
        return self.name


class Rule(models.Model):
    """Which events notify whom, through which type, on which channels, with what priority."""

    class Mode(models.TextChoices):
        FALLBACK = "fallback", "First channel that works, in order"
        ALL = "all", "Every channel at once"

    name = models.CharField(max_length=120)
    event_type = models.CharField(max_length=60, db_index=True)
    notification_type = models.ForeignKey(NotificationType, on_delete=models.PROTECT, related_name="rules")
    channels = models.JSONField(default=list, help_text='Ordered channels, e.g. ["sms", "email"]')
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.FALLBACK)
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text='Optional: {"brands": ["slug"], "sales_channels": ["slug"], "countries": ["US"], '
        '"min_order_value": "50", "max_order_value": "500", "customer_tags": ["vip"]}',
    )
    coalesce_seconds = models.PositiveIntegerField(
        default=0, help_text="Wait this long for a newer update before sending"
    )
    priority = models.PositiveSmallIntegerField(default=5, help_text="1 = most urgent")
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "notifications_rule"  # the table it had before it moved here
        ordering = ["event_type", "priority", "id"]

    def __str__(self):
        return self.name


class Template(models.Model):
    """Subject and bodies for one notification type on one channel; translated fields per language.
    Email uses subject, body_html and body_text; SMS/WhatsApp body_text; push subject (title),
    body_text and link."""

    notification_type = models.ForeignKey(NotificationType, on_delete=models.CASCADE, related_name="templates")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=200, blank=True)
    preheader = models.CharField(max_length=200, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notifications_template"  # the table it had before it moved here
        ordering = ["notification_type", "channel"]
        constraints = [models.UniqueConstraint(fields=["notification_type", "channel"], name="uniq_template")]

    def __str__(self):
        return f"{self.notification_type.key} / {self.channel}"


class TemplateVersion(models.Model):
    """One saved state of a template (every translated field), numbered per template; a revert
    saves an old state again as a new version, so history only grows."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    fields = models.JSONField(default=dict, help_text='{"subject_en": "...", "body_text_es": "...", ...}')
    created_by = models.CharField(max_length=150, blank=True, help_text="user:…, system")
    reason = models.CharField(max_length=300, blank=True)
    reverted_from = models.PositiveIntegerField(null=True, blank=True, help_text="The version a revert restored")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "notifications_templateversion"  # the table it had before it moved here
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="uniq_template_version")]

    def __str__(self):
        return f"{self.template} v{self.number}"
