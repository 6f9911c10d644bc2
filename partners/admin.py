"""Admin for partners (tokens shown once, rotated with an audit row) and the stored answers of
idempotent requests."""

from django.contrib import admin, messages

from core.admin import AuditLogInline, ReadOnlyAdminMixin, admin_actor
from partners.models import IdempotencyKey, Partner
from partners.services import partner_create, partner_token_rotate


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    """Creating a partner shows its token once, in a message; only the hash is stored."""

    list_display = ("name", "token_prefix", "channel_list", "is_active", "created_at")
    list_filter = ("is_active", "sales_channels")
    search_fields = ("name", "token_prefix")
    fields = ("name", "sales_channels", "is_active", "token_prefix", "created_at")
    readonly_fields = ("token_prefix", "created_at")
    filter_horizontal = ("sales_channels",)
    inlines = [AuditLogInline]
    actions = ["rotate_token"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sales_channels")

    @admin.display(description="sales channels")
    def channel_list(self, obj):
        return ", ".join(c.slug for c in obj.sales_channels.all())

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        partner, raw = partner_create(
            name=form.cleaned_data["name"],
            sales_channels=form.cleaned_data["sales_channels"],
            is_active=form.cleaned_data["is_active"],
            actor=admin_actor(request),
        )
        # Let the admin carry on (m2m save, redirect) with the row the service created.
        obj.pk, obj.token_prefix, obj.token_hash, obj.created_at = (
            partner.pk,
            partner.token_prefix,
            partner.token_hash,
            partner.created_at,
        )
        obj._state.adding, obj._state.db = False, partner._state.db
        self._show_token(request, partner, raw)

    @admin.action(description="Rotate API token (the old one stops working)", permissions=["change"])
    def rotate_token(self, request, queryset):
        for partner in queryset:
            raw = partner_token_rotate(partner=partner, actor=admin_actor(request))
            self._show_token(request, partner, raw)

    def _show_token(self, request, partner, raw):
        self.message_user(
            request,
            f"API token for {partner.name}: {raw} — copy it now, it will not be shown again.",
            messages.WARNING,
        )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "partner", "method", "path", "key", "response_status")
    list_filter = ("method", "response_status", "partner")
    search_fields = ("key", "path")
    date_hierarchy = "created_at"
    list_select_related = ("partner",)
