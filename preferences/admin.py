"""Admin for brands and customers: contact data validated like the API does, identities per
sales channel, consents and per-type choices (read-only here), the audit trail and a link to
the customer's preference page."""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from core.admin import AuditLogInline, ReadOnlyAdminMixin, ReadOnlyInline, admin_actor

from preferences.links import preference_link_for
from preferences.models import Brand, ChannelConsent, ConsentLog, Customer, CustomerIdentity, CustomerPreferences, PushSubscription, TypePreference
from preferences.services import CONTACT_FIELDS, customer_update
from preferences.validators import normalize_phone, validate_language


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "sender_name", "sender_email", "default_language", "support_email")
    search_fields = ("name", "slug", "sender_email", "support_email")
    list_filter = ("default_language",)
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "default_language")}),
        ("Look", {"fields": ("logo_url", "primary_color", "accent_color")}),
        ("Sender", {"fields": ("sender_name", "sender_email", "sms_sender_id", "sms_sender_number")}),
        ("Support", {"fields": ("support_email", "support_phone", "support_url", "company_address")}),
    )


class CustomerAdminForm(forms.ModelForm):
    """Normalises contact data the way the customer services do (E.164 phones, BCP 47 tags)."""

    class Meta:
        model = Customer
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        phone, country = cleaned.get("phone"), cleaned.get("country", "")
        if phone:
            try:
                cleaned["phone"] = normalize_phone(phone, country)
            except ValidationError as exc:
                self.add_error("phone", exc)
        if cleaned.get("language"):
            try:
                cleaned["language"] = validate_language(cleaned["language"])
            except ValidationError as exc:
                self.add_error("language", exc)
        return cleaned


class IdentityInline(ReadOnlyInline):
    model = CustomerIdentity
    fields = ("sales_channel", "external_id")


class ChannelConsentInline(ReadOnlyInline):
    model = ChannelConsent
    fields = ("channel", "state", "source", "updated_at")


class TypePreferenceInline(ReadOnlyInline):
    model = TypePreference
    fields = ("type_key", "channel", "enabled", "updated_at")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ("__str__", "email", "phone", "language", "country", "time_zone", "tier", "brand")
    list_filter = ("brand", "tier", "language", "country")
    search_fields = ("name", "email", "phone", "identities__external_id")
    list_select_related = ("brand",)
    date_hierarchy = "created_at"
    readonly_fields = ("preference_page", "notification_timeline", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("brand", "name", "tier", "tags")}),
        ("Contact", {"fields": ("email", "phone", "language", "time_zone", "country")}),
        ("Links", {"fields": ("preference_page", "notification_timeline", "created_at", "updated_at")}),
    )
    inlines = [IdentityInline, ChannelConsentInline, TypePreferenceInline, AuditLogInline]
    actions = ["send_preference_link"]

    @admin.action(description="Send a fresh preference link (to the address on file)")
    def send_preference_link(self, request, queryset):
        from preferences.services import preference_link_send

        sent = sum(1 for customer in queryset.select_related("brand") if preference_link_send(customer=customer))
        self.message_user(request, f"Sent a fresh preference link to {sent} customer(s).")

    @admin.display(description="preference page")
    def preference_page(self, obj):
        if not obj.pk:
            return "-"
        url = preference_link_for(obj)
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">Open as the customer</a>', url)

    @admin.display(description="notifications")
    def notification_timeline(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:notifications_customer_timeline", args=[obj.pk])
        return format_html('<a href="{}">Timeline: every notification, delivery and why not sent</a>', url)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Contact changes go through the service (audited); other fields are plain data.
        contact = {f: form.cleaned_data[f] for f in form.changed_data if f in CONTACT_FIELDS}
        other = [f for f in form.changed_data if f not in CONTACT_FIELDS]
        if other:
            Customer.objects.filter(pk=obj.pk).update(**{f: form.cleaned_data[f] for f in other})
        if contact:
            customer_update(customer=Customer.objects.get(pk=obj.pk), data=contact, actor=admin_actor(request))
        obj.refresh_from_db()


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ("external_id", "sales_channel", "customer")
    list_filter = ("sales_channel",)
    search_fields = ("external_id", "customer__name", "customer__email")
    list_select_related = ("customer", "sales_channel")
    autocomplete_fields = ("customer",)


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


# --- Preference center (issue 6): the customer's choices, push subscriptions and the consent log ---

class CustomerPreferencesInline(ReadOnlyInline):
    model = CustomerPreferences
    fields = ("channel_order", "quiet_hours_enabled", "quiet_start", "quiet_end", "quiet_channels", "rhythm",
              "digest_hour", "app_seen_at", "updated_at")


class PushSubscriptionInline(ReadOnlyInline):
    model = PushSubscription
    fields = ("endpoint", "user_agent", "created_at", "last_success_at", "expired_at")


class ConsentLogInline(ReadOnlyInline):
    model = ConsentLog
    fields = ("created_at", "channel", "type_key", "old_state", "new_state", "source", "actor", "delivery_id", "reference")
    ordering = ("-id",)


CustomerAdmin.inlines = [*CustomerAdmin.inlines, CustomerPreferencesInline, PushSubscriptionInline, ConsentLogInline]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "endpoint", "created_at", "last_success_at", "expired_at")
    list_filter = (("expired_at", admin.EmptyFieldListFilter),)
    search_fields = ("customer__name", "customer__email", "endpoint")
    list_select_related = ("customer",)


# --- Console (issue 8): agents find a customer by order or tracking number; contact details only
# for roles with ``preferences.view_customer_contact`` --------------------------------------------

CustomerAdmin.search_fields = (*CustomerAdmin.search_fields, "orders__external_id", "orders__shipments__tracking_number")
_CONTACT_FIELDS = ("email", "phone")


def _customer_list_display(self, request):
    shown = admin.ModelAdmin.get_list_display(self, request)
    if request.user.has_perm("preferences.view_customer_contact"):
        return shown
    return tuple(f for f in shown if f not in _CONTACT_FIELDS)


def _customer_fieldsets(self, request, obj=None):
    sets = admin.ModelAdmin.get_fieldsets(self, request, obj)
    if request.user.has_perm("preferences.view_customer_contact"):
        return sets
    return [(name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in _CONTACT_FIELDS)})
            for name, opts in sets]


CustomerAdmin.get_list_display = _customer_list_display
CustomerAdmin.get_fieldsets = _customer_fieldsets
