"""Partner API shapes for returns: opening one for an order's lines, moving it through its
milestones (with the fields each milestone carries), and the return as read back."""

from django.conf import settings
from rest_framework import serializers

from core.api.fields import ItemsListSerializer, OptionalURLField, TextField
from core.bounds import BIGINT_MAX, MAX_LINE_QUANTITY
from orders.models import Order
from partners.fields import PartnerScopedPrimaryKeyField
from returns.models import ReturnLine, ReturnRequest


def _partner_orders(view):
    return Order.objects.filter(sales_channel__in=view.channels)


class ReturnLineSerializer(serializers.ModelSerializer):
    line_id = serializers.IntegerField(source="order_line_id")
    sku = TextField(source="order_line.sku")

    class Meta:
        model = ReturnLine
        fields = ["line_id", "sku", "quantity"]
        read_only_fields = fields


class ReturnSerializer(serializers.ModelSerializer):
    order_external_id = TextField(source="order.external_id", read_only=True)
    lines = ReturnLineSerializer(many=True, read_only=True)
    label_url = OptionalURLField()

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "code",
            "order",
            "order_external_id",
            "external_id",
            "reason",
            "status",
            "status_changed_at",
            "refund_estimate",
            "refund_amount",
            "return_carrier",
            "return_tracking_number",
            "label_url",
            "inspection_result",
            "inspection_notes",
            "rejection_reason",
            "created_at",
            "lines",
        ]
        read_only_fields = fields


class ReturnLineInputSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)

    class Meta:
        list_serializer_class = ItemsListSerializer


class ReturnCreateSerializer(serializers.Serializer):
    order = PartnerScopedPrimaryKeyField(scope=_partner_orders, queryset=Order.objects.all())
    lines = ReturnLineInputSerializer(
        many=True,
        min_length=1,
        max_length=settings.ORDER_MAX_LINES,
        error_messages={
            "min_length": "A return needs at least one line.",
            "max_length": "A return has at most {max_length} lines.",
        },
        help_text="At least one",
    )
    reason = TextField(max_length=300)
    external_id = TextField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your id for the return; a repeat returns the first one",
    )
    refund_estimate = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )

    def validate(self, attrs):
        order = attrs["order"]
        ids = [item["line_id"] for item in attrs.get("lines", [])]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError({"lines": ["Each line_id may appear only once."]})
        lines_by_id = {line.pk: line for line in order.lines.all()}
        unknown = [item["line_id"] for item in attrs["lines"] if item["line_id"] not in lines_by_id]
        if unknown:
            raise serializers.ValidationError(
                {"lines": [f"Line {pk} is not a line of order {order.external_id}." for pk in unknown]}
            )
        attrs["lines"] = [(lines_by_id[item["line_id"]], item["quantity"]) for item in attrs["lines"]]
        return attrs


class ReturnTransitionSerializer(serializers.Serializer):
    """``status`` plus the fields its milestone carries (e.g. ``refund_amount`` for refunded)."""

    status = serializers.ChoiceField(choices=ReturnRequest.Status.choices)
    reason = TextField(required=False, allow_blank=True, default="")
    rejection_reason = TextField(max_length=300, required=False)
    return_carrier = TextField(max_length=40, required=False)
    return_tracking_number = TextField(max_length=80, required=False)
    label_url = serializers.URLField(max_length=500, required=False)
    inspection_result = serializers.ChoiceField(
        choices=[c for c in ReturnRequest.Inspection.choices if c[0]], required=False
    )
    inspection_notes = TextField(required=False)
    refund_estimate = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
