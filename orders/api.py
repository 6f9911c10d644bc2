"""Partner API for orders and shipments: order intake by external id (with its customer),
order transitions, shipments and carrier events, each scoped to the partner's sales channels."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.filters import IdFilter, MomentFilter, StrictFilterSet
from orders.models import Order, Shipment, ShipmentEvent, ShipmentLine
from orders.selectors import orders_for_channels, shipments_for_channels
from orders.serializers import (
    OrderCreateSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
    ShipmentCreateSerializer,
    ShipmentCreateWithOrderSerializer,
    ShipmentEventInputSerializer,
    ShipmentEventSerializer,
    ShipmentSerializer,
)
from orders.services import LineInput, order_receive, order_transition, shipment_create, shipment_event_record
from partners.auth import PartnerScopedMixin
from partners.idempotency import IDEMPOTENCY_KEY, idempotent

CONFLICT = OpenApiResponse(description="Not allowed from the current status; the body lists the `allowed` next states.")
EVENTS_DESCRIPTION = """Record a carrier event.

- **201**: a new event, stored. It moves the shipment to its status (`applied: true`) unless it
  is *late*, older than the newest event the shipment has taken in: a late event is stored but
  not applied (`applied: false`, `not_applied_reason: "late"`); it changes no status and
  notifies no one, so a shipment never moves backwards. An event with the shipment's current
  status is stored without a move (`not_applied_reason: "same_status"`).
- **200**: a repeat of a stored event (same status, `carrier_code` and instant): the stored
  event, unchanged; nothing happens.
- **409**: an event that is not late names a status the shipment cannot move to (e.g. anything
  after delivered); the body lists the `allowed` next states and nothing is stored.

An `estimated_delivery` later than the shipment's by more than the ETA-slip threshold (24 hours
by default) then moves the shipment to `delayed` with the new date."""


def _created_or_ok(created: bool) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


class OrderFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    sales_channel = django_filters.CharFilter(field_name="sales_channel__slug", help_text="Channel slug")
    customer = IdFilter(field_name="customer_id", help_text="Customer id")
    external_id = django_filters.CharFilter()
    placed_after = MomentFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = MomentFilter(field_name="placed_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["status", "sales_channel", "customer", "external_id", "placed_after", "placed_before"]


@extend_schema_view(
    list=extend_schema(
        summary="List orders",
        description="Orders in your sales channels, each with its lines and shipments; filter by status, "
        "channel, customer, your `external_id` or when they were placed.",
    ),
    retrieve=extend_schema(summary="Get an order", description="An order with its lines and shipments."),
)
class OrderViewSet(PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter

    def get_queryset(self):
        return orders_for_channels(channels=self.channels)

    def _answer(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data, status=code)

    @extend_schema(
        summary="Create an order",
        request=OrderCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: OrderSerializer, 200: OrderSerializer},
        description="Create an order with its lines and upsert its customer. A repeat with the "
        "same `sales_channel` and `external_id` returns the first order (200) and "
        "changes nothing.",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        channel, external_id = fields.pop("sales_channel"), fields.pop("external_id")
        order, created = order_receive(
            sales_channel=channel,
            external_id=external_id,
            customer_data=dict(fields.pop("customer")),
            lines=[LineInput(**line) for line in fields.pop("lines")],
            actor=self.actor,
            **fields,
        )
        return self._answer(order, _created_or_ok(created))

    @extend_schema(
        summary="Change an order's status",
        request=OrderTransitionSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: OrderSerializer, 409: CONFLICT},
        description="Move the order to `status` (e.g. processing, cancelled). "
        "409 with the allowed next states when the move is not allowed.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def transition(self, request, pk=None):
        order = self.get_object()
        data = OrderTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_transition(
            order=order, to_status=data.validated_data["status"], actor=self.actor, reason=data.validated_data["reason"]
        )
        return self._answer(order)

    @extend_schema(
        summary="Add a shipment to an order",
        request=ShipmentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ShipmentSerializer, 200: ShipmentSerializer},
        description="Add a shipment to this order (200 with the existing one when the carrier "
        "and tracking number were already sent for it).",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def shipments(self, request, pk=None):
        order = self.get_object()
        return ShipmentViewSet.create_shipment(self, ShipmentCreateSerializer, context={"order": order})


class ShipmentFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices)
    carrier = django_filters.CharFilter(lookup_expr="iexact")
    tracking_number = django_filters.CharFilter()
    order = IdFilter(field_name="order_id", help_text="Order id")

    class Meta:
        model = Shipment
        fields = ["status", "carrier", "tracking_number", "order"]


@extend_schema_view(
    list=extend_schema(
        summary="List shipments",
        description="Shipments of the orders in your sales channels; filter by status, carrier, tracking "
        "number or order.",
    ),
    retrieve=extend_schema(
        summary="Get a shipment", description="A shipment with its lines and the carrier events it took in."
    ),
)
class ShipmentViewSet(PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter

    def get_queryset(self):
        return shipments_for_channels(channels=self.channels).prefetch_related(
            Prefetch("shipmentline_set", queryset=ShipmentLine.objects.select_related("order_line")),
            Prefetch("events", queryset=ShipmentEvent.objects.select_related("shipment")),
        )

    @staticmethod
    def create_shipment(view, serializer_class, context=None) -> Response:
        """Shared by ``POST /shipments/`` and ``POST /orders/{id}/shipments/``."""
        data = serializer_class(data=view.request.data, context={**view.get_serializer_context(), **(context or {})})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        order = fields.pop("order")
        shipment, created = shipment_create(order=order, actor=view.actor, **fields)
        if shipment.order_id != order.pk:
            # The (carrier, tracking number) pair is unique across all orders.
            raise ValidationError({"tracking_number": ["This carrier and tracking number belong to another shipment."]})
        shipment = (
            shipments_for_channels(channels=view.channels)
            .prefetch_related("shipmentline_set__order_line", "events")
            .get(pk=shipment.pk)
        )
        return Response(
            ShipmentSerializer(shipment, context=view.get_serializer_context()).data, status=_created_or_ok(created)
        )

    @extend_schema(
        summary="Create a shipment",
        request=ShipmentCreateWithOrderSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ShipmentSerializer, 200: ShipmentSerializer},
        description="Add a shipment to the order named by `order` (200 with the existing one when the "
        "carrier and tracking number were already sent for it).",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        return self.create_shipment(self, ShipmentCreateWithOrderSerializer)

    @extend_schema(
        summary="Record a carrier event",
        request=ShipmentEventInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ShipmentEventSerializer, 200: ShipmentEventSerializer, 409: CONFLICT},
        description=EVENTS_DESCRIPTION,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def events(self, request, pk=None):
        shipment = self.get_object()
        data = ShipmentEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recorded = shipment_event_record(shipment=shipment, actor=self.actor, **data.validated_data)
        event = ShipmentEvent.objects.select_related("shipment").get(pk=recorded.event.pk)
        return Response(ShipmentEventSerializer(event).data, status=_created_or_ok(recorded.created))
