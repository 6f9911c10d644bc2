"""Admin for the sandbox provider's outbox: what it "sent", as the customer would see it."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from channels.models import SandboxMessage
from core.admin import ReadOnlyAdminMixin, pretty_json


@admin.register(SandboxMessage)
class SandboxOutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the sandbox provider 'sent', as the customer would have seen it."""

    list_display = ("created_at", "channel", "to", "subject", "body_preview", "link", "delivery")
    list_filter = ("channel",)
    search_fields = ("to", "subject", "body_text")
    list_select_related = ("delivery",)
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "channel",
        "to",
        "subject",
        "body_text",
        "html_preview",
        "link",
        "delivery",
        "idempotency_key",
        "metadata_json",
    )
    readonly_fields = fields

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, extra_context={"title": "Sandbox outbox", **(extra_context or {})})

    @admin.display(description="body")
    def body_preview(self, obj):
        return Truncator(obj.body_text).chars(100)

    @admin.display(description="HTML body")
    def html_preview(self, obj):
        if not obj.body_html:
            return "-"
        # A sandboxed frame: the message's HTML renders, its scripts and links cannot act.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width:100%;height:420px;border:1px solid #ccc"></iframe>', obj.body_html
        )

    @admin.display(description="metadata")
    def metadata_json(self, obj):
        return pretty_json(obj.metadata)
