"""Partner API for products and stock levels within the brands of the partner's sales channels:
list and create products, post absolute or delta stock updates and read the levels back."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.filters import StrictFilterSet
from inventory.models import Product, StockLevel
from inventory.serializers import (
    ProductCreateSerializer,
    ProductSerializer,
    StockLevelResultSerializer,
    StockLevelSerializer,
    StockLevelUpdateSerializer,
)
from inventory.services import product_create, stock_level_update
from partners.auth import PartnerScopedMixin
from partners.idempotency import IDEMPOTENCY_KEY, idempotent


class BrandScopedMixin(PartnerScopedMixin):
    def brand_ids_for(self, channel) -> set[int]:
        """The brand a write names through ``sales_channel``, or all the partner's brands."""
        return {channel.brand_id} if channel else self.brand_ids


class ProductFilter(StrictFilterSet):
    sku = django_filters.CharFilter()
    brand = django_filters.CharFilter(field_name="brand__slug", help_text="Brand slug")

    class Meta:
        model = Product
        fields = ["sku", "brand"]


@extend_schema_view(
    list=extend_schema(
        summary="List products", description="Products of the brands of your sales channels; filter by SKU or brand."
    ),
    retrieve=extend_schema(summary="Get a product", description="A product of one of your brands."),
)
class ProductViewSet(BrandScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        return Product.objects.filter(brand_id__in=self.brand_ids).select_related("brand")

    @extend_schema(
        summary="Create a product",
        request=ProductCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ProductSerializer, 200: ProductSerializer},
        description="Create a product in your brand (200 with the existing one for a known SKU).",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = ProductCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        channel = fields.pop("sales_channel", None)
        brand_ids = self.brand_ids_for(channel)
        if not brand_ids:
            raise ValidationError({"sales_channel": ["You have no active sales channel."]})
        if len(brand_ids) > 1:
            raise ValidationError({"sales_channel": ["Your channels belong to several brands: name the channel."]})
        brand = next(c.brand for c in self.channels if c.brand_id in brand_ids)
        product, created = product_create(brand=brand, **fields)
        return Response(
            self.get_serializer(product).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class StockLevelFilter(StrictFilterSet):
    sku = django_filters.CharFilter(field_name="product__sku")
    brand = django_filters.CharFilter(field_name="product__brand__slug", help_text="Brand slug")

    class Meta:
        model = StockLevel
        fields = ["sku", "brand"]


@extend_schema_view(
    list=extend_schema(
        summary="List stock levels",
        description="Stock of the products of your brands, by SKU; filter by SKU or brand.",
    ),
    retrieve=extend_schema(
        summary="Get a stock level", description="One product's stock: on hand, reserved, available."
    ),
)
class StockLevelViewSet(BrandScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter

    def get_queryset(self):
        return (
            StockLevel.objects.filter(product__brand_id__in=self.brand_ids)
            .select_related("product__brand")
            .order_by("product__sku", "id")
        )

    @extend_schema(
        summary="Update a SKU's stock",
        request=StockLevelUpdateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: StockLevelResultSerializer},
        description="Set a SKU's stock (`on_hand`) or add `delta` to it; the answer lists the "
        "thresholds crossed (below_zero, low_stock, back_in_stock).",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = StockLevelUpdateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        channel, sku = fields.pop("sales_channel", None), fields.pop("sku")
        products = list(Product.objects.filter(brand_id__in=self.brand_ids_for(channel), sku=sku)[:2])
        if not products:
            raise ValidationError({"sku": [f"No product with SKU '{sku}' in your catalogue."]})
        if len(products) > 1:
            raise ValidationError({"sales_channel": ["Several of your brands use this SKU: name the channel."]})
        level, crossed = stock_level_update(product=products[0], actor=self.actor, **fields)
        level = self.get_queryset().get(pk=level.pk)
        level.crossed = [str(c) for c in crossed]
        return Response(StockLevelResultSerializer(level).data, status=status.HTTP_200_OK)
