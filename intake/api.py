"""Partner API for intake: ``POST /api/v1/intake/marketplace/`` (a CSV or JSON order report, as
a ``file`` upload or a JSON body) and ``POST /api/v1/intake/orders/`` (one order in the native
format, taken in asynchronously). Both store first and answer 202 with the record ids."""

import json

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, views
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.parsers import GuardedJSONParser
from intake.services import intake_file_receive, intake_record_receive
from partners.auth import PartnerScopedMixin


class IntakeAccepted(serializers.Serializer):
    status = serializers.CharField()
    records = serializers.ListField(child=serializers.IntegerField())


def _json_object(request) -> dict:
    if not isinstance(request.data, dict):
        raise APIValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


def _channel(view, slug, kind=None):
    channel = next((c for c in view.channels if c.slug == slug), None)
    if channel is None:
        raise APIValidationError({"sales_channel": [f"Not one of your sales channels: '{slug}'."]})
    if kind and channel.kind != kind:
        raise APIValidationError({"sales_channel": [f"'{slug}' is a {channel.kind} channel, not {kind}."]})
    return channel


class MarketplaceReportView(PartnerScopedMixin, views.APIView):
    parser_classes = [MultiPartParser, GuardedJSONParser]

    @extend_schema(
        summary="Upload a marketplace order report",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"sales_channel": {"type": "string"}, "file": {"type": "string", "format": "binary"}},
            },
            "application/json": {"type": "object"},
        },
        responses={202: IntakeAccepted, 400: OpenApiResponse(description="Unreadable report")},
        description="A marketplace order report (CSV or JSON rows). One intake record per order; "
        'processed asynchronously. JSON body: {"sales_channel": slug, "rows": [...]}.',
    )
    def post(self, request):
        from django.core.exceptions import ValidationError

        upload = request.FILES.get("file")
        if upload is not None:
            content, filename = upload.read(), upload.name
        else:
            rows = _json_object(request).get("rows") or request.data.get("orders")
            if not isinstance(rows, list):
                raise APIValidationError({"file": ["Send a report as `file`, or JSON rows as `rows`."]})
            content, filename = json.dumps(rows).encode(), "report.json"
        channel = _channel(self, request.data.get("sales_channel", ""), kind="marketplace")
        try:
            records = intake_file_receive(sales_channel=channel, content=content, filename=filename, actor=self.actor)
        except ValidationError as exc:
            raise APIValidationError(exc.message_dict) from exc
        return Response({"status": "accepted", "records": [r.pk for r in records]}, status=status.HTTP_202_ACCEPTED)


class OrderIntakeView(PartnerScopedMixin, views.APIView):
    @extend_schema(
        summary="Send an order to take in later",
        request={"application/json": {"type": "object"}},
        responses={202: IntakeAccepted},
        description="One order in the same JSON as `POST /api/v1/orders/` (with `sales_channel`), stored "
        "at once and processed asynchronously: an order that fails validation goes to the dead letters "
        "instead of answering 400. A repeat of `sales_channel` and `external_id` changes nothing.",
    )
    def post(self, request):
        data = dict(_json_object(request))
        channel = _channel(self, data.pop("sales_channel", ""))
        record, _ = intake_record_receive(
            kind="partner",
            source=f"partner:{channel.slug}",
            topic="order",
            sales_channel=channel,
            raw_body=request.body,
            payload=data,
            headers={"partner": request.user.name},
        )
        return Response({"status": "accepted", "records": [record.pk]}, status=status.HTTP_202_ACCEPTED)
