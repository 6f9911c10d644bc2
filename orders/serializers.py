"""Partner API shapes for orders, their lines and shipments, and carrier events: what a partner
sends (validated field by field) and what it gets back."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ItemsListSerializer, MomentField, OptionalURLField, StrictBooleanField, TextField
from core.bounds import BIGINT_MAX, MAX_LINE_QUANTITY
from customers.serializers import AddressSerializer, ContactFieldsSerializer, CurrencyField
from orders.models import Order, OrderLine, Shipment, ShipmentEvent, ShipmentLine
from partners.fields import PartnerChannelField, PartnerScopedPrimaryKeyField


def _partner_orders(view):
    return Order.objects.filter(sales_channel__in=view.channels)


# --- Read shapes ----------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "sku", "name", "quantity", "unit_price", "backorder_state"]
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    line_id = serializers.IntegerField(source="order_line_id")
    sku = TextField(source="order_line.sku")

    class Meta:
        model = ShipmentLine
        fields = ["line_id", "sku", "quantity"]
        read_only_fields = fields


class ShipmentSummarySerializer(serializers.ModelSerializer):
    tracking_url = OptionalURLField()

    class Meta:
        model = Shipment
        fields = [
            "id",
            "carrier",
            "tracking_number",
            "tracking_url",
            "estimated_delivery",
            "status",
            "status_changed_at",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    sales_channel = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    shipments = ShipmentSummarySerializer(many=True, read_only=True)
    shipping_address = AddressSerializer(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "sales_channel",
            "external_id",
            "number",
            "customer",
            "currency",
            "subtotal",
            "shipping_total",
            "tax_total",
            "total",
            "shipping_address",
            "placed_at",
            "status",
            "status_changed_at",
            "created_at",
            "lines",
            "shipments",
        ]
        read_only_fields = fields


class ShipmentEventSerializer(serializers.ModelSerializer):
    applied = serializers.BooleanField(read_only=True, help_text="Whether the event moved the shipment to its status")
    not_applied_reason = serializers.SerializerMethodField(
        help_text="Why it did not (null when it did): `late` (older than the newest event the "
        "shipment took in), `not_allowed` (a move the shipment cannot make), "
        "`same_status` (the shipment's status already)"
    )
    shipment_status = TextField(
        source="shipment.status", read_only=True, help_text="The shipment's status after this event"
    )

    class Meta:
        model = ShipmentEvent
        fields = [
            "id",
            "shipment",
            "status",
            "carrier_code",
            "description",
            "location",
            "occurred_at",
            "received_at",
            "estimated_delivery",
            "applied",
            "not_applied_reason",
            "raw",
            "shipment_status",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ShipmentEvent.NotApplied.choices, allow_null=True))
    def get_not_applied_reason(self, event) -> str | None:
        return event.not_applied_reason or None


class ShipmentSerializer(serializers.ModelSerializer):
    order_external_id = TextField(source="order.external_id", read_only=True)
    lines = ShipmentLineSerializer(source="shipmentline_set", many=True, read_only=True)
    events = ShipmentEventSerializer(many=True, read_only=True)
    tracking_url = OptionalURLField()

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "order_external_id",
            "carrier",
            "tracking_number",
            "tracking_url",
            "estimated_delivery",
            "status",
            "status_changed_at",
            "created_at",
            "lines",
            "events",
        ]
        read_only_fields = fields


# --- Write shapes ---------------------------------------------------------------------------


class OrderCustomerSerializer(ContactFieldsSerializer):
    external_id = TextField(max_length=120, help_text="The customer's id in the order's channel")


class OrderLineInputSerializer(serializers.Serializer):
    sku = TextField(max_length=64)
    name = TextField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    backordered = StrictBooleanField(required=False, default=False)

    class Meta:
        list_serializer_class = ItemsListSerializer


class OrderCreateSerializer(serializers.Serializer):
    sales_channel = PartnerChannelField(help_text="Slug of one of your sales channels")
    external_id = TextField(
        max_length=120, help_text="The order's id in that channel: later updates name the order by it"
    )
    number = TextField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="The order number the customer sees, when it differs from `external_id` (e.g. 1042); "
        "a leading # is dropped. Left out: `external_id`",
    )
    customer = OrderCustomerSerializer(help_text="Upserted by its external id in the same channel")
    lines = OrderLineInputSerializer(
        many=True,
        min_length=1,
        max_length=settings.ORDER_MAX_LINES,
        error_messages={
            "min_length": "An order needs at least one line.",
            "max_length": "An order has at most {max_length} lines.",
        },
        help_text=f"At least one, at most {settings.ORDER_MAX_LINES}",
    )
    placed_at = MomentField(past=True, required=False)
    currency = CurrencyField(required=False, default="USD", help_text="ISO 4217")
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    shipping_total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    shipping_address = AddressSerializer(required=False)


class OrderTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)
    reason = TextField(required=False, allow_blank=True, default="")


class ShipmentLineInputSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)

    class Meta:
        list_serializer_class = ItemsListSerializer


class ShipmentCreateSerializer(serializers.Serializer):
    """A shipment of the order named in the URL (``context["order"]``)."""

    carrier = TextField(max_length=40)
    tracking_number = TextField(max_length=80)
    tracking_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    estimated_delivery = MomentField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(
        choices=Shipment.Status.choices, required=False, default=Shipment.Status.LABEL_CREATED
    )
    lines = ShipmentLineInputSerializer(
        many=True,
        required=False,
        max_length=settings.ORDER_MAX_LINES,
        error_messages={"max_length": "A shipment has at most {max_length} lines."},
        help_text="Omit to ship the whole order",
    )

    def _order(self, attrs):
        return attrs.get("order") or self.context["order"]

    def validate(self, attrs):
        order = self._order(attrs)
        ids = [item["line_id"] for item in attrs.get("lines", [])]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError({"lines": ["Each line_id may appear only once."]})
        lines_by_id = {line.pk: line for line in order.lines.all()}
        resolved, errors = [], []
        for item in attrs.get("lines", []):
            line = lines_by_id.get(item["line_id"])
            if line is None:
                errors.append(f"Line {item['line_id']} is not a line of order {order.external_id}.")
            elif item["quantity"] > line.quantity:
                errors.append(f"Line {line.pk} ({line.sku}): at most {line.quantity}, got {item['quantity']}.")
            else:
                resolved.append((line, item["quantity"]))
        if errors:
            raise serializers.ValidationError({"lines": errors})
        attrs["lines"] = resolved
        attrs["order"] = order
        return attrs


class ShipmentCreateWithOrderSerializer(ShipmentCreateSerializer):
    order = PartnerScopedPrimaryKeyField(scope=_partner_orders, queryset=Order.objects.all())


class ShipmentEventInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Shipment.Status.choices)
    occurred_at = MomentField(past=True, help_text="The carrier's timestamp of the scan")
    carrier_code = TextField(max_length=60, required=False, allow_blank=True, default="")
    description = TextField(max_length=300, required=False, allow_blank=True, default="")
    location = TextField(max_length=200, required=False, allow_blank=True, default="")
    estimated_delivery = MomentField(required=False, allow_null=True, default=None)
    raw = serializers.DictField(required=False, default=dict)
