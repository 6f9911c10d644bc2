"""Partner API for returns: open one for an order's lines, advance it through its milestones,
list and retrieve, all within the partner's sales channels."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.filters import IdFilter, StrictFilterSet
from partners.auth import PartnerScopedMixin
from partners.idempotency import IDEMPOTENCY_KEY, idempotent
from returns.models import ReturnRequest
from returns.serializers import ReturnCreateSerializer, ReturnSerializer, ReturnTransitionSerializer
from returns.services import return_create, return_transition

CONFLICT = OpenApiResponse(description="Not allowed from the current status; the body lists the `allowed` next states.")


class ReturnFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ReturnRequest.Status.choices)
    order = IdFilter(field_name="order_id", help_text="Order id")
    external_id = django_filters.CharFilter()
    code = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = ReturnRequest
        fields = ["status", "order", "external_id", "code"]


@extend_schema_view(
    list=extend_schema(
        summary="List returns",
        description="Returns of the orders in your sales channels; filter by status, order, your "
        "`external_id` or the return code.",
    ),
    retrieve=extend_schema(summary="Get a return", description="A return with its lines and milestones."),
)
class ReturnViewSet(PartnerScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReturnSerializer
    filterset_class = ReturnFilter

    def get_queryset(self):
        return (
            ReturnRequest.objects.filter(order__sales_channel__in=self.channels)
            .select_related("order")
            .prefetch_related("lines__order_line")
        )

    def _answer(self, ret: ReturnRequest, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=ret.pk)).data, status=code)

    @extend_schema(
        summary="Open a return",
        request=ReturnCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ReturnSerializer, 200: ReturnSerializer},
        description="Open a return for some of an order's lines (200 with the first one when "
        "`external_id` was already used for this order).",
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = ReturnCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        ret, created = return_create(actor=self.actor, **data.validated_data)
        return self._answer(ret, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Change a return's status",
        request=ReturnTransitionSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: ReturnSerializer, 409: CONFLICT},
        description="Move the return to `status` with the fields that milestone carries "
        "(label_issued: return_tracking_number; inspected: inspection_result; "
        "refunded: refund_amount). 409 with the allowed next states otherwise.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def transition(self, request, pk=None):
        ret = self.get_object()
        data = ReturnTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        return_transition(
            return_request=ret, to_status=fields.pop("status"), reason=fields.pop("reason"), actor=self.actor, **fields
        )
        return self._answer(ret)
