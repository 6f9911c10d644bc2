"""Partner API shapes for notifications: what a customer was told (or why not), with each
channel's delivery, its status and timestamps. Read-only."""

from rest_framework import serializers

from core.api.fields import TextField
from notifications.models import Delivery, Notification


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "status",
            "attempt_count",
            "sent_at",
            "delivered_at",
            "error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    type = serializers.SlugRelatedField(
        source="notification_type",
        slug_field="key",
        read_only=True,
        help_text="Notification type key, e.g. shipment_delivered",
    )
    skipped = serializers.DictField(
        child=TextField(),
        read_only=True,
        help_text="Channels left out of the plan and why (no_consent, no_contact, opted_out_type)",
    )
    channels = serializers.ListField(child=TextField(), read_only=True, help_text="The channels planned, in order")
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "type",
            "status",
            "reason",
            "customer",
            "order",
            "return_request",
            "language",
            "channels",
            "mode",
            "skipped",
            "superseded_by",
            "send_after",
            "created_at",
            "updated_at",
            "deliveries",
        ]
        read_only_fields = fields
