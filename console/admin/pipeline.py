"""Admin for the notification pipeline.

Merchants edit the catalogue: notification types, rules and templates (translated per language
and checked on save against the variables their messages carry). Support agents read what
happened: events, notifications (with why one was not sent), deliveries with their attempts and
provider receipts, the dead letters they can requeue, suppressions they can lift, customers'
replies (inbound texts, reschedule and callback requests), the sandbox outbox, and a customer's
whole timeline. Everything the pipeline writes is read-only here; an
agent's changes go through services (``delivery_requeue``, ``suppression_lift``). Only the
pipeline settings row is edited in place.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from console.forms import LiftSuppressionForm, RequeueForm
from console.queues import QueueActionsMixin, ResendForm
from console.selectors import customer_timeline
from core.admin import (
    AuditLogInline,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_actor,
    pretty_json,
    run_form_action,
)
from customers.models import Customer
from notifications.models import (
    CallbackRequest,
    Delivery,
    DeliveryAttempt,
    Digest,
    Event,
    InboundMessage,
    Notification,
    ProviderEvent,
    RescheduleRequest,
    Suppression,
)
from notifications.queueing import deliveries_enqueue_on_commit
from notifications.selectors import notification_why, skipped_text
from notifications.services.dispatch import delivery_requeue
from notifications.services.receipts import suppression_lift
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

    return {**entry, "title": mask_contact(entry["title"]), "details": [mask_contact(d) for d in entry["details"]],
            "why": mask_contact(entry["why"])}


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
    list_display = ("id", "type", "subject", "customer", "order", "brand", "created_at", "processed_at",
                    "processing_attempts")
    list_filter = (ProcessedFilter, "subject_type", "type", "brand")
    search_fields = ("type", "customer__name", "customer__email", "order__external_id")
    list_select_related = ("customer", "order", "brand")
    date_hierarchy = "created_at"
    fields = ("type", "subject", "brand", "customer", "order", "created_at", "processed_at",
              "processing_attempts", "last_error", "payload_json")
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
    fields = ("channel", "status", "to", "provider", "attempt_count", "send_after", "sent_at", "delivered_at",
              "error")
    show_change_link = True


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, with the deliveries inline; also serves the customer timeline page."""

    list_display = ("id", "created_at", "customer", "notification_type", "status", "why_short", "channel_list",
                    "order", "timeline")
    list_filter = ("status", "hold", "notification_type__category", "notification_type", "brand", "language")
    search_fields = ("customer__name", "customer__email", "customer__phone", "order__external_id",
                     "dedupe_key", "subject_key")
    list_select_related = ("customer", "notification_type", "order", "superseded_by__notification_type")
    date_hierarchy = "created_at"
    fields = ("customer_link", "notification_type", "status", "why", "skipped_channels", "superseded_by_link",
              "hold", "digest", "event_link", "order", "return_request", "brand", "rule", "language", "channels",
              "mode", "priority", "send_after", "dedupe_key", "subject_key", "content_json", "created_at",
              "updated_at")
    readonly_fields = fields
    inlines = [DeliveryInline, AuditLogInline]

    def get_urls(self):
        timeline = path("timeline/<int:customer_id>/", self.admin_site.admin_view(self.timeline_view),
                        name="notifications_customer_timeline")
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


class DeadLetterFilter(admin.SimpleListFilter):
    """Deliveries that failed on every channel, waiting for an agent."""

    title = "dead letters"
    parameter_name = "dead_letters"

    def lookups(self, request, model_admin):
        return (("yes", "Dead letters only"),)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=Delivery.Status.DEAD)
        return queryset


class AttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ("number", "provider", "outcome", "provider_message_id", "error_code", "error_text", "latency_ms",
              "cost", "started_at", "finished_at")


class ReceiptInline(ReadOnlyInline):
    model = ProviderEvent
    fields = ("received_at", "provider", "kind", "event_id", "occurred_at", "applied", "detail")
    verbose_name_plural = "provider receipts"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, with attempts and the audit trail inline; dead letters can be requeued."""

    list_display = ("id", "notification_link", "customer", "channel", "status", "to", "attempt_count",
                    "send_after", "updated_at", "error_short")
    list_filter = (DeadLetterFilter, "status", "channel", "provider", "notification__notification_type")
    search_fields = ("to", "provider_message_id", "error", "notification__customer__name",
                     "notification__customer__email")
    list_select_related = ("notification__customer", "notification__notification_type")
    date_hierarchy = "created_at"
    fields = ("notification_link", "customer", "channel", "status", "to", "provider", "provider_message_id",
              "provider_status", "attempt_count", "retry_floor", "send_after", "error", "resend_of", "created_at",
              "updated_at", "sent_at", "delivered_at", "receipt_at", "opened_at", "open_count", "clicked_at",
              "click_count", "cost")
    readonly_fields = fields
    inlines = [AttemptInline, ReceiptInline, AuditLogInline]
    actions = ["requeue", "resend"]

    def changelist_view(self, request, extra_context=None):
        dead = Delivery.objects.filter(status=Delivery.Status.DEAD).count()
        extra_context = {"dead_letters": dead, "dead_letters_url": "?dead_letters=yes", **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra_context)

    def has_requeue_permission(self, request):
        return request.user.has_perm("notifications.change_delivery")

    @admin.action(description="Requeue (dead letters back to pending, due now)", permissions=["requeue"])
    def requeue(self, request, queryset):
        requeued: list[Delivery] = []

        def apply(delivery, data):
            requeued.append(delivery_requeue(delivery=delivery, actor=admin_actor(request),
                                             reason=data.get("reason") or "admin requeue"))
            return f"{delivery} requeued: due now on {delivery.channel}."

        page = run_form_action(self, request, queryset.select_related("notification"), form_class=RequeueForm,
                               title="Requeue dead deliveries", apply=apply)
        if requeued:
            deliveries_enqueue_on_commit(requeued)
        return page

    @admin.action(description="Resend (a new delivery linked to this one, due now)", permissions=["requeue"])
    def resend(self, request, queryset):
        from console.services import delivery_resend

        resent: list[Delivery] = []

        def apply(delivery, data):
            resent.append(delivery_resend(delivery=delivery, actor=admin_actor(request), reason=data["reason"]))
            return f"{delivery} resent as delivery #{resent[-1].pk}."

        page = run_form_action(self, request, queryset, form_class=ResendForm, title="Resend deliveries", apply=apply)
        if resent:
            deliveries_enqueue_on_commit(resent)
        return page

    @admin.display(description="notification")
    def notification_link(self, obj):
        return change_link(obj.notification, f"#{obj.notification_id} {obj.notification.notification_type.key}")

    @admin.display(description="customer")
    def customer(self, obj):
        customer = obj.notification.customer
        if customer is None:
            return "-"
        return format_html('{} · <a href="{}">timeline</a>', change_link(customer), timeline_url(customer.pk))

    @admin.display(description="error")
    def error_short(self, obj):
        return Truncator(obj.error).chars(80) or "-"


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "delivery", "number", "provider", "outcome", "error_code", "latency_ms", "cost",
                    "started_at", "finished_at")
    list_filter = ("outcome", "provider", "delivery__channel", "error_code")
    search_fields = ("idempotency_key", "provider_message_id", "error_code", "error_text")
    list_select_related = ("delivery",)
    date_hierarchy = "started_at"


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Webhook events from providers (receipts, bounces, opens), as received."""

    list_display = ("received_at", "provider", "kind", "event_id", "delivery", "recipient", "applied", "detail")
    list_filter = ("provider", "kind", "applied")
    search_fields = ("event_id", "provider_message_id", "recipient", "detail")
    list_select_related = ("delivery",)
    date_hierarchy = "received_at"
    fields = ("provider", "event_id", "kind", "delivery", "provider_message_id", "recipient", "occurred_at",
              "received_at", "applied", "detail", "payload_json")
    readonly_fields = fields

    @admin.display(description="payload")
    def payload_json(self, obj):
        return pretty_json(obj.payload)


class ActiveSuppressionFilter(admin.SimpleListFilter):
    title = "active"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return (("yes", "Active"), ("no", "Lifted"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(lifted_at__isnull=self.value() == "yes")
        return queryset


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Addresses we must not send to. Read-only; an agent lifts one with a reason (audited)."""

    list_display = ("address", "channel", "reason", "source", "created_at", "is_active", "lifted_by")
    list_filter = (ActiveSuppressionFilter, "channel", "reason")
    search_fields = ("address", "detail", "source")
    date_hierarchy = "created_at"
    inlines = [AuditLogInline]
    actions = ["lift"]

    def has_lift_permission(self, request):
        return request.user.has_perm("notifications.change_suppression")

    @admin.display(description="active", boolean=True)
    def is_active(self, obj):
        return obj.lifted_at is None

    @admin.action(description="Lift (send to these addresses again)", permissions=["lift"])
    def lift(self, request, queryset):
        def apply(suppression, data):
            suppression_lift(suppression=suppression, actor=admin_actor(request), reason=data["reason"])
            return f"{suppression} lifted."

        return run_form_action(self, request, queryset, form_class=LiftSuppressionForm,
                               title="Lift suppressions", apply=apply)


# --- What customers sent us (SMS and WhatsApp replies) -------------------------------------------

class HandledFilter(admin.SimpleListFilter):
    title = "handled"
    parameter_name = "handled"

    def lookups(self, request, model_admin):
        return (("no", "Waiting for an agent"), ("yes", "Handled"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(handled_at__isnull=self.value() == "no")
        return queryset


@admin.register(InboundMessage)
class InboundMessageAdmin(QueueActionsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Texts customers sent; the automatic answer is a notification, whose deliveries and attempts
    say what became of it."""

    list_display = ("received_at", "from_number", "customer", "channel", "kind", "text", "reply_status",
                    "handled_at", "handled_by")
    list_filter = (HandledFilter, "kind", "channel", ("reply__status", admin.ChoicesFieldListFilter), "provider")
    search_fields = ("from_number", "text", "provider_message_id", "customer__name", "customer__email")
    list_select_related = ("customer", "reply")
    date_hierarchy = "received_at"
    readonly_fields = ("reply_text",)

    @admin.display(description="answer", ordering="reply__status")
    def reply_status(self, obj):
        if obj.reply is None:
            return "No answer"
        return change_link(obj.reply, obj.reply.get_status_display())

    @admin.display(description="answer text")
    def reply_text(self, obj):
        return (obj.reply.content or {}).get("body_text", "") if obj.reply else "-"


@admin.register(RescheduleRequest)
class RescheduleRequestAdmin(QueueActionsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "customer", "shipment", "link", "handled_at", "handled_by")
    list_filter = (HandledFilter,)
    search_fields = ("customer__name", "customer__email", "customer__phone", "shipment__tracking_number")
    list_select_related = ("customer", "shipment")
    date_hierarchy = "created_at"


@admin.register(CallbackRequest)
class CallbackRequestAdmin(QueueActionsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "phone", "customer", "handled_at", "handled_by")
    list_filter = (HandledFilter,)
    search_fields = ("phone", "customer__name", "customer__email")
    list_select_related = ("customer",)
    date_hierarchy = "created_at"


# --- The sandbox outbox and the pipeline's knobs ------------------------------------------------


