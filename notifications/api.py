"""Partner API for notifications (read-only): what each customer was told, on which channels,
when, and why something was not sent; scoped to the partner's sales channels."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from core.api.filters import IdFilter, StrictFilterSet
from notifications.models import Notification
from notifications.selectors import notifications_for_partner
from notifications.serializers import NotificationSerializer
from partners.auth import PartnerScopedMixin


class NotificationFilter(StrictFilterSet):
    customer = IdFilter(field_name="customer_id", help_text="Customer id")
    order = IdFilter(field_name="order_id", help_text="Order id")
    return_request = IdFilter(field_name="return_request_id", help_text="Return id")
    type = django_filters.CharFilter(
        field_name="notification_type__key", help_text="Notification type key, e.g. shipment_delivered"
    )
    status = django_filters.ChoiceFilter(choices=Notification.Status.choices)

    class Meta:
        model = Notification
        fields = ["customer", "order", "return_request", "type", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="List notifications",
        description="What your customers were told: notifications about orders in your sales channels (and "
        "back-in-stock ones for your customers), newest first, each with its deliveries per channel and why "
        "something was not sent; filter by customer, order, return, type or status.",
    ),
    retrieve=extend_schema(summary="Get a notification", description="A notification with its deliveries per channel."),
)
class NotificationViewSet(
    PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Notifications about orders in your sales channels (and back-in-stock ones for your
    customers), newest first, each with its deliveries."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        return notifications_for_partner(channels=self.channels)
