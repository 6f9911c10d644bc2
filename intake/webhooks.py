"""Webhook endpoints of the order sources and carriers. Each one verifies the signature (401 and
nothing stored when it is wrong), stores the raw payload (``IntakeRecord``) and answers 202:
processing happens in a Celery task queued on commit, so a seasonal spike is queued, not refused.

- ``POST /intake/shopify/<channel_slug>/``      X-Shopify-Hmac-Sha256, X-Shopify-Topic
- ``POST /intake/woocommerce/<channel_slug>/``  X-WC-Webhook-Signature, X-WC-Webhook-Topic (its
  unsigned setup ping, ``webhook_id=<id>``, is answered 200 and not stored)
- ``POST /webhooks/carriers/<carrier>/``        the carrier adapter's signature header
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.api.errors import error_response
from core.guard import RequestRefused, json_body, keeps_raw_body
from customers.models import SalesChannel
from intake.carriers import get_adapter as carrier_adapter
from intake.models import CarrierAccount, ChannelIntakeSettings
from intake.services import intake_record_receive
from intake.sources import get_adapter

KEPT_HEADERS = ("Content-Type", "User-Agent")


def _headers(request, adapter_headers) -> dict:
    names = [*KEPT_HEADERS, *adapter_headers]
    return {name: request.headers[name] for name in names if name in request.headers}


def _json_body(request):
    try:
        return json_body(request), None
    except RequestRefused as refused:
        return None, refused.response()


def _channel_webhook(request, *, kind: str, channel_slug: str):
    channel = SalesChannel.objects.filter(slug=channel_slug, kind=kind, is_active=True).first()
    if channel is None:
        return error_response(404, f"no active {kind} channel '{channel_slug}'")
    adapter = get_adapter(kind)
    if adapter.is_setup_ping(body=request.body, headers=request.headers):
        # The source checking that the URL answers (WooCommerce, when a webhook is saved).
        return JsonResponse({"status": "ping"}, status=200)
    secret = (
        ChannelIntakeSettings.objects.filter(sales_channel=channel).values_list("webhook_secret", flat=True).first()
    )
    if not adapter.verify(body=request.body, headers=request.headers, secret=secret or ""):
        return error_response(401, "invalid signature", code="invalid_signature")
    topic = adapter.topic(request.headers)
    if topic not in adapter.topics:
        # A verified topic we do not use (or WooCommerce's creation ping): acknowledged, not stored.
        return JsonResponse({"status": "ignored", "topic": topic}, status=200)
    payload, error = _json_body(request)
    if error:
        return error
    header_names = [
        adapter.signature_header,
        adapter.topic_header,
        *adapter.delivery_id_headers,
        "X-Shopify-Shop-Domain",
        "X-WC-Webhook-Source",
    ]
    record, created = intake_record_receive(
        kind=kind,
        source=f"{kind}:{channel.slug}",
        topic=topic,
        sales_channel=channel,
        raw_body=request.body,
        headers=_headers(request, header_names),
        payload=payload,
        delivery_id=adapter.delivery_id(request.headers),
    )
    return JsonResponse({"status": "accepted", "id": record.pk, "duplicate": not created}, status=202)


@csrf_exempt
@keeps_raw_body
@require_POST
def shopify_webhook(request, channel_slug):
    return _channel_webhook(request, kind="shopify", channel_slug=channel_slug)


@csrf_exempt
@keeps_raw_body
@require_POST
def woocommerce_webhook(request, channel_slug):
    return _channel_webhook(request, kind="woocommerce", channel_slug=channel_slug)


@csrf_exempt
@keeps_raw_body
@require_POST
def carrier_webhook(request, carrier):
    account = CarrierAccount.objects.filter(carrier=carrier).first()
    if account is None:
        return error_response(404, f"unknown carrier '{carrier}'")
    adapter = carrier_adapter(account.adapter)
    if not adapter.verify(body=request.body, headers=request.headers, secret=account.webhook_secret):
        return error_response(401, "invalid signature", code="invalid_signature")
    payload, error = _json_body(request)
    if error:
        return error
    event_id = request.headers.get("X-Event-Id") or (payload.get("event_id") if isinstance(payload, dict) else None)
    record, created = intake_record_receive(
        kind="carrier",
        source=f"carrier:{carrier}",
        topic=str(payload.get("event", "tracking"))[:60] if isinstance(payload, dict) else "tracking",
        carrier=carrier,
        raw_body=request.body,
        headers=_headers(request, [adapter.signature_header, "X-Event-Id"]),
        payload=payload,
        delivery_id=str(event_id) if event_id else None,
    )
    return JsonResponse({"status": "accepted", "id": record.pk, "duplicate": not created}, status=202)


def webhook_path(channel: SalesChannel) -> str:
    from django.urls import reverse

    name = {"shopify": "intake-shopify", "woocommerce": "intake-woocommerce"}.get(channel.kind)
    return reverse(name, args=[channel.slug]) if name else ""
