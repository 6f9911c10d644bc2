"""Partner API shapes for products and stock levels: a product in one of the partner's brands,
and an absolute or delta stock update with the thresholds it crossed."""

from rest_framework import serializers

from core.api.fields import DayField, OptionalURLField, TextField
from core.bounds import MAX_STOCK
from customers.serializers import CurrencyField
from inventory.models import Product, StockLevel, StockThreshold
from partners.fields import PartnerChannelField

CHANNEL_HELP = "Slug of one of your channels; picks the brand. Optional when all your channels share one brand."


class ProductSerializer(serializers.ModelSerializer):
    brand = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    image_url = OptionalURLField()

    class Meta:
        model = Product
        fields = ["id", "brand", "sku", "name", "image_url", "price", "currency"]
        read_only_fields = fields


class ProductCreateSerializer(serializers.Serializer):
    sales_channel = PartnerChannelField(required=False, help_text=CHANNEL_HELP)
    sku = TextField(max_length=64)
    name = TextField(max_length=200)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = CurrencyField(required=False, default="USD", help_text="ISO 4217")
    image_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")


class StockLevelSerializer(serializers.ModelSerializer):
    sku = TextField(source="product.sku", read_only=True)
    brand = TextField(source="product.brand.slug", read_only=True)
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockLevel
        fields = [
            "id",
            "product",
            "sku",
            "brand",
            "on_hand",
            "reserved",
            "available",
            "low_stock_threshold",
            "restock_eta",
            "updated_at",
        ]
        read_only_fields = fields


class StockLevelResultSerializer(StockLevelSerializer):
    crossed = serializers.ListField(
        child=serializers.ChoiceField(choices=StockThreshold.choices),
        read_only=True,
        help_text="Thresholds this update crossed",
    )

    class Meta(StockLevelSerializer.Meta):
        fields = [*StockLevelSerializer.Meta.fields, "crossed"]
        read_only_fields = fields


class StockLevelUpdateSerializer(serializers.Serializer):
    """Either ``on_hand`` (absolute) or ``delta`` (added to on hand), plus optional settings."""

    sales_channel = PartnerChannelField(required=False, help_text=CHANNEL_HELP)
    sku = TextField(max_length=64)
    on_hand = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    delta = serializers.IntegerField(
        min_value=-MAX_STOCK,
        max_value=MAX_STOCK,
        required=False,
        help_text="Added to on hand; negative for a decrement",
    )
    reserved = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    low_stock_threshold = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    restock_eta = DayField(required=False, allow_null=True)

    def validate(self, attrs):
        if "on_hand" in attrs and "delta" in attrs:
            raise serializers.ValidationError({"delta": ["Give either on_hand (absolute) or delta, not both."]})
        if not {"on_hand", "delta", "reserved", "low_stock_threshold", "restock_eta"} & set(attrs):
            raise serializers.ValidationError({"on_hand": ["Give either on_hand (absolute) or delta."]})
        return attrs
