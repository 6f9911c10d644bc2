"""Admin for what the pipeline did, as support agents read it: events, notifications (with why
one was not sent, and a customer's whole timeline), digests, and the helpers the console's other
pages share (links, masked contact details). Everything the pipeline writes is read-only here; an
agent's changes go through services. Deliveries, dead letters and suppressions:
``console.admin.deliveries``; customers' replies: ``console.admin.replies``."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from console.selectors import customer_timeline
from core.admin import (
    AuditLogInline,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    pretty_json,
)
from customers.models import Customer
from notifications.models import (
    Delivery,
    Digest,
    Event,
    Notification,
)
from notifications.selectors import notification_why, skipped_text
from preferences.models import ChannelConsent, TypePreference


def change_link(obj, text=None):
    if obj is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


def timeline_url(customer_id: int) -> str:
    return reverse("admin:notifications_customer_timeline", args=[customer_id])


# Issue 8 (console): statuses a delivery can be resent from, and contact masking in the timeline.
RESENDABLE = ("sent", "delivered", "failed", "bounced", "dead", "suppressed")


def mask_contact_entry(entry: dict) -> dict:
    from console.masking import mask_contact

    return {
        **entry,
        "title": mask_contact(entry["title"]),
        "details": [mask_contact(d) for d in entry["details"]],
        "why": mask_contact(entry["why"]),
    }


# --- Catalogue: types, rules, templates ---------------------------------------------------------


# --- What happened: events, notifications, deliveries, attempts ---------------------------------


class ProcessedFilter(admin.SimpleListFilter):
    title = "processed"
    parameter_name = "processed"

    def lookups(self, request, model_admin):
        return (("yes", "Processed"), ("no", "Not processed yet"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(processed_at__isnull=self.value() == "no")
        return queryset


class EventNotificationInline(ReadOnlyInline):
    model = Notification
    fields = ("customer", "notification_type", "status", "reason", "created_at")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "notification_type")


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "type",
        "subject",
        "customer",
        "order",
        "brand",
        "created_at",
        "processed_at",
        "processing_attempts",
    )
    list_filter = (ProcessedFilter, "subject_type", "type", "brand")
    search_fields = ("type", "customer__name", "customer__email", "order__external_id")
    list_select_related = ("customer", "order", "brand")
    date_hierarchy = "created_at"
    fields = (
        "type",
        "subject",
        "brand",
        "customer",
        "order",
        "created_at",
        "processed_at",
        "processing_attempts",
        "last_error",
        "payload_json",
    )
    readonly_fields = fields
    inlines = [EventNotificationInline]

    @admin.display(description="subject")
    def subject(self, obj):
        return f"{obj.subject_type} #{obj.subject_id}"

    @admin.display(description="payload (snapshot for templates)")
    def payload_json(self, obj):
        return pretty_json(obj.payload)


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("channel", "status", "to", "provider", "attempt_count", "send_after", "sent_at", "delivered_at", "error")
    show_change_link = True


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, with the deliveries inline; also serves the customer timeline page."""

    list_display = (
        "id",
        "created_at",
        "customer",
        "notification_type",
        "status",
        "why_short",
        "channel_list",
        "order",
        "timeline",
    )
    list_filter = ("status", "hold", "notification_type__category", "notification_type", "brand", "language")
    search_fields = (
        "customer__name",
        "customer__email",
        "customer__phone",
        "order__external_id",
        "dedupe_key",
        "subject_key",
    )
    list_select_related = ("customer", "notification_type", "order", "superseded_by__notification_type")
    date_hierarchy = "created_at"
    fields = (
        "customer_link",
        "notification_type",
        "status",
        "why",
        "skipped_channels",
        "superseded_by_link",
        "hold",
        "digest",
        "event_link",
        "order",
        "return_request",
        "brand",
        "rule",
        "language",
        "channels",
        "mode",
        "priority",
        "send_after",
        "dedupe_key",
        "subject_key",
        "content_json",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [DeliveryInline, AuditLogInline]

    def get_urls(self):
        timeline = path(
            "timeline/<int:customer_id>/",
            self.admin_site.admin_view(self.timeline_view),
            name="notifications_customer_timeline",
        )
        return [timeline, *super().get_urls()]

    def timeline_view(self, request, customer_id: int):
        """One customer's events, notifications, deliveries and attempts, oldest first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        customer = get_object_or_404(Customer.objects.select_related("brand"), pk=customer_id)
        entries = customer_timeline(customer_id=customer.pk)
        for entry in entries:
            app_label, model_name = entry["model"].split(".")
            entry["url"] = reverse(f"admin:{app_label}_{model_name}_change", args=[entry["pk"]])
        show_contact = request.user.has_perm("customers.view_customer_contact")
        if not show_contact:  # issue 8: contact details only for roles that may see them
            entries = [mask_contact_entry(e) for e in entries]
        context = {
            **self.admin_site.each_context(request),
            "show_contact": show_contact,
            "orders": customer.orders.order_by("-id").prefetch_related("shipments", "returns")[:50],
            "consent_log": customer.consent_log.order_by("-id")[:20],
            "can_resend": request.user.has_perm("notifications.change_delivery"),
            "resendable": RESENDABLE,
            "title": f"Notification timeline: {customer}",
            "opts": self.model._meta,
            "customer": customer,
            "customer_url": reverse("admin:customers_customer_change", args=[customer.pk]),
            "entries": entries,
            "consents": ChannelConsent.objects.filter(customer=customer).order_by("channel"),
            "type_choices": TypePreference.objects.filter(customer=customer, enabled=False).order_by("type_key"),
        }
        return TemplateResponse(request, "admin/notifications/timeline.html", context)

    @admin.display(description="why")
    def why(self, obj):
        return notification_why(obj, list(obj.deliveries.all())) or "-"

    @admin.display(description="why")
    def why_short(self, obj):
        # Without deliveries (one query per row): enough for superseded, not sent, waiting.
        if obj.status == Notification.Status.DEAD:
            return "Failed on every channel"
        return Truncator(notification_why(obj, [])).chars(80)

    @admin.display(description="skipped channels")
    def skipped_channels(self, obj):
        return format_html_join("", "<div>{}</div>", ((line,) for line in skipped_text(obj.skipped))) or "-"

    @admin.display(description="channels")
    def channel_list(self, obj):
        return ", ".join(obj.channels) or "-"

    @admin.display(description="customer")
    def customer_link(self, obj):
        if obj.customer_id is None:
            return "- (a number we do not know)"
        return format_html('{} · <a href="{}">timeline</a>', change_link(obj.customer), timeline_url(obj.customer_id))

    @admin.display(description="superseded by")
    def superseded_by_link(self, obj):
        return change_link(obj.superseded_by)

    @admin.display(description="event")
    def event_link(self, obj):
        return change_link(obj.event)

    @admin.display(description="timeline")
    def timeline(self, obj):
        if obj.customer_id is None:
            return "-"
        return format_html('<a href="{}">timeline</a>', timeline_url(obj.customer_id))

    @admin.display(description="message as written (direct notifications)")
    def content_json(self, obj):
        return pretty_json(obj.content) if obj.content else "-"


class DigestItemInline(ReadOnlyInline):
    model = Notification
    fk_name = "digest"
    fields = ("notification_type", "status", "created_at")
    show_change_link = True
    verbose_name_plural = "updates carried"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("notification_type", "customer")


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "customer", "channel", "day", "item_count", "notification", "created_at")
    list_filter = ("channel",)
    search_fields = ("key", "customer__name", "customer__email")
    list_select_related = ("customer", "notification__notification_type", "notification__customer")
    date_hierarchy = "day"
    inlines = [DigestItemInline]


# --- What customers sent us (SMS and WhatsApp replies) -------------------------------------------


# --- The sandbox outbox and the pipeline's knobs ------------------------------------------------
