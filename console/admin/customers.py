"""The customer page agents work from: contact data validated like the API does (shown only to
roles allowed to see it), identities per sales channel, consents, choices and push subscriptions
(read-only here), the consent log and audit trail, links to the preference page and the
notification timeline, and a fresh preference link on request (sent by the pipeline, so it shows
in the customer's timeline like any other message)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from core.admin import AuditLogInline, ReadOnlyInline, admin_actor
from customers.models import Customer, CustomerIdentity
from customers.services import CONTACT_FIELDS, customer_update
from customers.validators import normalize_phone, validate_language
from preferences.links import preference_link_for
from preferences.models import (
    ChannelConsent,
    ConsentLog,
    CustomerPreferences,
    PushSubscription,
    TypePreference,
)

CONTACT_SHOWN = ("email", "phone")


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


class CustomerPreferencesInline(ReadOnlyInline):
    model = CustomerPreferences
    fields = (
        "channel_order",
        "quiet_hours_enabled",
        "quiet_start",
        "quiet_end",
        "quiet_channels",
        "rhythm",
        "digest_hour",
        "app_seen_at",
        "updated_at",
    )


class PushSubscriptionInline(ReadOnlyInline):
    model = PushSubscription
    fields = ("endpoint", "user_agent", "created_at", "last_success_at", "expired_at")


class ConsentLogInline(ReadOnlyInline):
    model = ConsentLog
    fields = (
        "created_at",
        "channel",
        "type_key",
        "old_state",
        "new_state",
        "source",
        "actor",
        "delivery_id",
        "reference",
    )
    ordering = ("-id",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ("__str__", "email", "phone", "language", "country", "time_zone", "tier", "brand")
    list_filter = ("brand", "tier", "language", "country")
    search_fields = (
        "name",
        "email",
        "phone",
        "identities__external_id",
        "orders__external_id",
        "orders__shipments__tracking_number",
    )
    list_select_related = ("brand",)
    date_hierarchy = "created_at"
    readonly_fields = ("preference_page", "notification_timeline", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("brand", "name", "tier", "tags")}),
        ("Contact", {"fields": ("email", "phone", "language", "time_zone", "country")}),
        ("Links", {"fields": ("preference_page", "notification_timeline", "created_at", "updated_at")}),
    )
    inlines = [
        IdentityInline,
        ChannelConsentInline,
        TypePreferenceInline,
        AuditLogInline,
        CustomerPreferencesInline,
        PushSubscriptionInline,
        ConsentLogInline,
    ]
    actions = ["send_preference_link"]

    @admin.action(description="Send a fresh preference link (to the address on file)")
    def send_preference_link(self, request, queryset):
        from collections import Counter

        from preferences.services import preference_link_request

        channels = Counter(
            preference_link_request(customer=customer, actor=admin_actor(request))
            for customer in queryset.select_related("brand")
        )
        by = ", ".join(
            f"{n} by {'SMS' if channel == 'sms' else channel}" for channel, n in sorted(channels.items()) if channel
        )
        text = f"A fresh preference link is on its way to {sum(channels.values()) - channels['']} customer(s)"
        text += f" ({by})." if by else "."
        if channels[""]:
            text += (
                f" {channels['']} customer(s) have no address we may use (none on file, or opted out): "
                "their timeline says why nothing was sent."
            )
        self.message_user(request, text)

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

    # Contact details only for roles with ``customers.view_customer_contact``.
    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if request.user.has_perm("customers.view_customer_contact"):
            return shown
        return tuple(f for f in shown if f not in CONTACT_SHOWN)

    def get_fieldsets(self, request, obj=None):
        sets = super().get_fieldsets(request, obj)
        if request.user.has_perm("customers.view_customer_contact"):
            return sets
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in CONTACT_SHOWN)})
            for name, opts in sets
        ]
