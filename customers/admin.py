"""Admin for brands, their sales channels and customers' identities per channel."""

from django.contrib import admin

from customers.models import Brand, CustomerIdentity, SalesChannel


@admin.register(SalesChannel)
class SalesChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "brand", "is_active")
    list_filter = ("kind", "is_active", "brand")
    search_fields = ("name", "slug")
    list_select_related = ("brand",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "sender_name", "sender_email", "default_language", "support_email")
    search_fields = ("name", "slug", "sender_email", "support_email")
    list_filter = ("default_language",)
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "default_language")}),
        ("Look", {"fields": ("logo_url", "primary_color", "accent_color")}),
        ("Sender", {"fields": ("sender_name", "sender_email", "sms_sender_id", "sms_sender_number", "sms_countries")}),
        ("Support", {"fields": ("support_email", "support_phone", "support_url", "company_address")}),
    )


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ("external_id", "sales_channel", "customer")
    list_filter = ("sales_channel",)
    search_fields = ("external_id", "customer__name", "customer__email")
    list_select_related = ("customer", "sales_channel")
    autocomplete_fields = ("customer",)
