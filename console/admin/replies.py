"""Admin for what customers text back: the inbox of inbound messages, and the reschedule and
callback requests agents assign and resolve."""

from django.contrib import admin

from console.admin.pipeline import change_link
from console.queues import QueueActionsMixin
from core.admin import (
    ReadOnlyAdminMixin,
)
from notifications.models import (
    CallbackRequest,
    InboundMessage,
    RescheduleRequest,
)


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

    list_display = (
        "received_at",
        "from_number",
        "customer",
        "channel",
        "kind",
        "text",
        "reply_status",
        "handled_at",
        "handled_by",
    )
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
