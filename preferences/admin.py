"""Admin for customers' choices: consent per channel and per type, and browser push subscriptions
(read-only: they change through the preference services)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from preferences.models import (
    ChannelConsent,
    PushSubscription,
    TypePreference,
)


@admin.register(ChannelConsent)
class ChannelConsentAdmin(admin.ModelAdmin):
    """Read-only: consent comes from the customer (STOP keywords, unsubscribes, the preference
    center), never from an agent's edit."""

    list_display = ("customer", "channel", "state", "source", "updated_at")
    list_filter = ("channel", "state", "source")
    search_fields = ("customer__name", "customer__email", "customer__phone")
    list_select_related = ("customer",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TypePreference)
class TypePreferenceAdmin(ChannelConsentAdmin):
    list_display = ("customer", "type_key", "channel", "enabled", "updated_at")
    list_filter = ("type_key", "channel", "enabled")


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "endpoint", "created_at", "last_success_at", "expired_at")
    list_filter = (("expired_at", admin.EmptyFieldListFilter),)
    search_fields = ("customer__name", "customer__email", "endpoint")
    list_select_related = ("customer",)
