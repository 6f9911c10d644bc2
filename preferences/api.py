"""Partner API for customers: upsert by channel and external id, partial update, list, retrieve.
A partner sees a customer when the customer has an identity or an order in one of its channels."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import StrictFilterSet
from customers.models import Customer
from customers.services import customer_update, customer_upsert
from partners.auth import PartnerScopedMixin
from partners.idempotency import IDEMPOTENCY_KEY, idempotent
from preferences.selectors import customers_for_channels, preferences_snapshot
from preferences.serializers import (
    AppPresenceSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    CustomerUpsertSerializer,
    PreferencesSerializer,
)
from preferences.services import app_presence_report, preferences_save


class CustomerFilter(StrictFilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")
    phone = django_filters.CharFilter()
    external_id = django_filters.CharFilter(field_name="identities__external_id", distinct=True)

    class Meta:
        model = Customer
        fields = ["email", "phone", "external_id"]


@extend_schema_view(
    list=extend_schema(
        summary="List customers",
        description="Customers with an identity or an order in your sales channels; filter by email, phone "
        "or your `external_id`.",
    ),
    retrieve=extend_schema(
        summary="Get a customer", description="A customer with its identities (your ids) per sales channel."
    ),
)
class CustomerViewSet(PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def get_queryset(self):
        return customers_for_channels(channels=self.channels).prefetch_related("identities__sales_channel")

    @extend_schema(
        summary="Create or update a customer",
        request=CustomerUpsertSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: CustomerSerializer, 201: CustomerSerializer},
        description="Create the customer known as `external_id` in `sales_channel`, or update it "
        "(201 when created, 200 when it existed).",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = CustomerUpsertSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        channel, external_id = fields.pop("sales_channel"), fields.pop("external_id")
        customer, created = customer_upsert(
            sales_channel=channel, external_id=external_id, data=fields, actor=self.actor
        )
        customer = self.get_queryset().get(pk=customer.pk)
        return Response(
            self.get_serializer(customer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Update a customer",
        request=CustomerUpdateSerializer,
        responses=CustomerSerializer,
        description="Change the fields sent; the others stay as they are.",
    )
    def partial_update(self, request, *args, **kwargs):
        customer = self.get_object()
        data = CustomerUpdateSerializer(
            customer, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        customer_update(customer=customer, data=dict(data.validated_data), actor=self.actor)
        return Response(self.get_serializer(self.get_queryset().get(pk=customer.pk)).data)

    @extend_schema(
        methods=["GET"],
        summary="Get a customer's preferences",
        responses=PreferencesSerializer,
        description="The customer's notification preferences (for a merchant's own account page).",
    )
    @extend_schema(
        methods=["PUT"],
        summary="Change a customer's preferences",
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
        description="Change the customer's preferences: only the keys sent change. Consent changes "
        "are logged with source `api`; critical types cannot be switched off.",
    )
    @action(detail=True, methods=["get", "put"], url_path="preferences")
    def preferences(self, request, *args, **kwargs):
        customer = self.get_object()
        if request.method == "PUT":
            data = PreferencesSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            preferences_save(customer=customer, data=dict(data.validated_data), source="api", actor=self.actor)
            customer.refresh_from_db()
        return Response(PreferencesSerializer(preferences_snapshot(customer=customer)).data)

    @extend_schema(
        summary="Report that the customer uses your app",
        request=AppPresenceSerializer,
        responses={204: None},
        description="The merchant's app saw the customer's device: push counts as an active channel "
        "for `PUSH_APP_ACTIVE_DAYS`.",
    )
    @action(detail=True, methods=["post"], url_path="app-presence")
    def app_presence(self, request, *args, **kwargs):
        customer = self.get_object()
        data = AppPresenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        app_presence_report(customer=customer, seen_at=data.validated_data.get("seen_at"))
        return Response(status=status.HTTP_204_NO_CONTENT)
