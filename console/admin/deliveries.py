"""Admin for deliveries as agents read them: each with its provider attempts and receipts, the
dead letters they can requeue or resend, and the suppressions they can lift (with why)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from console.admin.pipeline import change_link, timeline_url
from console.forms import LiftSuppressionForm, RequeueForm
from console.queues import ResendForm
from core.admin import (
    AuditLogInline,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_actor,
    pretty_json,
    run_form_action,
)
from notifications.models import (
    Delivery,
    DeliveryAttempt,
    ProviderEvent,
    Suppression,
)
from notifications.queueing import deliveries_enqueue_on_commit
from notifications.services.dispatch import delivery_requeue
from notifications.services.receipts import suppression_lift


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
    fields = (
        "number",
        "provider",
        "outcome",
        "provider_message_id",
        "error_code",
        "error_text",
        "latency_ms",
        "cost",
        "started_at",
        "finished_at",
    )


class ReceiptInline(ReadOnlyInline):
    model = ProviderEvent
    fields = ("received_at", "provider", "kind", "event_id", "occurred_at", "applied", "detail")
    verbose_name_plural = "provider receipts"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, with attempts and the audit trail inline; dead letters can be requeued."""

    list_display = (
        "id",
        "notification_link",
        "customer",
        "channel",
        "status",
        "to",
        "attempt_count",
        "send_after",
        "updated_at",
        "error_short",
    )
    list_filter = (DeadLetterFilter, "status", "channel", "provider", "notification__notification_type")
    search_fields = (
        "to",
        "provider_message_id",
        "error",
        "notification__customer__name",
        "notification__customer__email",
    )
    list_select_related = ("notification__customer", "notification__notification_type")
    date_hierarchy = "created_at"
    fields = (
        "notification_link",
        "customer",
        "channel",
        "status",
        "to",
        "provider",
        "provider_message_id",
        "provider_status",
        "attempt_count",
        "retry_floor",
        "send_after",
        "error",
        "resend_of",
        "created_at",
        "updated_at",
        "sent_at",
        "delivered_at",
        "receipt_at",
        "opened_at",
        "open_count",
        "clicked_at",
        "click_count",
        "read_at",
        "cost",
    )
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
            requeued.append(
                delivery_requeue(
                    delivery=delivery, actor=admin_actor(request), reason=data.get("reason") or "admin requeue"
                )
            )
            return f"{delivery} requeued: due now on {delivery.channel}."

        page = run_form_action(
            self,
            request,
            queryset.select_related("notification"),
            form_class=RequeueForm,
            title="Requeue dead deliveries",
            apply=apply,
        )
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
    list_display = (
        "id",
        "delivery",
        "number",
        "provider",
        "outcome",
        "error_code",
        "latency_ms",
        "cost",
        "started_at",
        "finished_at",
    )
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
    fields = (
        "provider",
        "event_id",
        "kind",
        "delivery",
        "provider_message_id",
        "recipient",
        "occurred_at",
        "received_at",
        "applied",
        "detail",
        "payload_json",
    )
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

        return run_form_action(
            self, request, queryset, form_class=LiftSuppressionForm, title="Lift suppressions", apply=apply
        )
