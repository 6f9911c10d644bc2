"""Admin for products, stock levels and back-in-stock subscriptions. Stock quantities change only
through ``stock_level_update`` (row lock, audit row, threshold signal): an "apply stock delta"
action, and the stock level form for threshold and restock date."""

from django import forms
from django.contrib import admin

from core.admin import AuditLogInline, ReadOnlyInline, admin_actor, reason_form, run_form_action
from inventory.models import BackInStockSubscription, Product, StockLevel
from inventory.services import stock_level_update

StockDeltaForm = reason_form(
    name="StockDeltaForm",
    delta=forms.IntegerField(help_text="Units to add to on hand; negative to remove (e.g. -3)."),
)


def _apply_stock_delta(modeladmin, request, queryset, product_of):
    def apply(obj, data):
        if data["delta"] == 0:
            return f"{obj}: delta 0, nothing changed."
        level, crossed = stock_level_update(
            product=product_of(obj),
            delta=data["delta"],
            actor=admin_actor(request),
            reason=data["reason"] or "admin action",
        )
        suffix = f" (crossed: {', '.join(crossed)})" if crossed else ""
        return f"{level.product.sku}: on hand {level.on_hand}, available {level.available}{suffix}."

    return run_form_action(
        modeladmin, request, queryset, form_class=StockDeltaForm, title="Apply a stock delta", apply=apply
    )


class StockLevelInline(ReadOnlyInline):
    model = StockLevel
    fields = ("on_hand", "reserved", "available", "low_stock_threshold", "restock_eta", "updated_at")
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "brand", "price", "currency", "on_hand", "available")
    list_filter = ("brand", "currency")
    search_fields = ("sku", "name")
    list_select_related = ("brand", "stock")
    inlines = [StockLevelInline]
    actions = ["apply_stock_delta"]

    @admin.display(description="on hand")
    def on_hand(self, obj):
        return getattr(getattr(obj, "stock", None), "on_hand", "-")

    @admin.display(description="available")
    def available(self, obj):
        stock = getattr(obj, "stock", None)
        return stock.available if stock else "-"

    @admin.action(description="Apply stock delta", permissions=["change"])
    def apply_stock_delta(self, request, queryset):
        return _apply_stock_delta(self, request, queryset, product_of=lambda product: product)


class StockLevelForm(forms.ModelForm):
    class Meta:
        model = StockLevel
        fields = ("low_stock_threshold", "restock_eta")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    form = StockLevelForm
    list_display = ("product", "on_hand", "reserved", "available", "low_stock_threshold", "restock_eta", "updated_at")
    list_filter = ("product__brand", "restock_eta")
    search_fields = ("product__sku", "product__name")
    list_select_related = ("product",)
    readonly_fields = ("product", "on_hand", "reserved", "available", "updated_at")
    fields = ("product", "on_hand", "reserved", "available", "low_stock_threshold", "restock_eta", "updated_at")
    inlines = [AuditLogInline]
    actions = ["apply_stock_delta"]

    def has_add_permission(self, request):
        return False  # a stock level is created by the first stock update of its product

    @admin.action(description="Apply stock delta", permissions=["change"])
    def apply_stock_delta(self, request, queryset):
        return _apply_stock_delta(self, request, queryset, product_of=lambda level: level.product)

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        if changes:
            stock_level_update(product=obj.product, actor=admin_actor(request), reason="admin edit", **changes)
        obj.refresh_from_db()


@admin.register(BackInStockSubscription)
class BackInStockSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("customer", "product", "channel", "created_at", "notified_at")
    list_filter = ("channel", "notified_at", "product__brand")
    search_fields = ("customer__name", "customer__email", "product__sku", "product__name")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "product")
    autocomplete_fields = ("customer", "product")
