"""SMS and WhatsApp webhooks: delivery receipts and inbound texts from Vonage (SMS API, signed
with the signature secret; Messages API, a JWT signed HS256 with a ``payload_hash`` of the body)
and Twilio (``X-Twilio-Signature``). Each view verifies, parses into one normalised ``Receipt`` or
inbound message, and sends it as a signal (``channels.receipts``) for the pipeline. Unauthenticated or malformed posts get a 4xx and
change nothing; repeated ones are deduped by the provider's ids.

Receipt times: a Vonage SMS receipt's ``scts`` / ``message-timestamp`` are the carrier's and the
SMSC's clocks (often wrong, even by a year), and Twilio's status callbacks carry no time of their
own (``RawDlrDoneDate`` is the carrier's): both are taken at the time they reach us. The Vonage
Messages API's ``timestamp`` is Vonage's own platform clock (UTC, ISO 8601) and is kept."""

import datetime as dt
import hashlib
import hmac
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.receipts import (
    DELIVERED,
    EXPIRED,
    FAILED,
    QUEUED,
    READ,
    REJECTED,
    SENT,
    UNKNOWN,
    Inbound,
    Receipt,
    inbound_received,
    receipt_received,
)
from core.api.errors import error_response
from core.guard import RequestRefused, json_body

VONAGE_DLR_KINDS = {
    "delivered": DELIVERED,
    "expired": EXPIRED,
    "failed": FAILED,
    "rejected": REJECTED,
    "unknown": UNKNOWN,
    "accepted": SENT,
    "buffered": QUEUED,
}
VONAGE_MESSAGES_KINDS = {
    "delivered": DELIVERED,
    "read": READ,
    "rejected": REJECTED,
    "undeliverable": FAILED,
    "submitted": SENT,
}
TWILIO_KINDS = {
    "delivered": DELIVERED,
    "read": READ,
    "undelivered": FAILED,
    "failed": FAILED,
    "sent": SENT,
    "queued": QUEUED,
    "accepted": QUEUED,
    "sending": QUEUED,
    "canceled": FAILED,
}


def _reject(status: int, reason: str) -> JsonResponse:
    return error_response(status, reason, code="invalid_signature" if status in (401, 403) else None)


def _decimal(value) -> Decimal | None:
    try:
        return abs(Decimal(str(value))) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _inbound(**fields) -> None:
    inbound_received.send(sender=fields["provider"], inbound=Inbound(**fields))


def _apply(receipt: Receipt) -> None:
    receipt_received.send(sender=receipt.provider, receipt=receipt)


# --- Vonage SMS API: signed parameters -------------------------------------------------------------


def vonage_signature(params: dict, *, secret: str | None = None, method: str | None = None) -> str:
    """Vonage's signature of ``params``: every parameter but ``sig``, sorted, as ``&key=value``
    (``&`` and ``=`` in values replaced by ``_``); then md5(string + secret) for "MD5 hash", or an
    HMAC of the string with the secret for md5/sha1/sha256/sha512."""
    secret = settings.VONAGE_SIGNATURE_SECRET if secret is None else secret
    method = (method or settings.VONAGE_SIGNATURE_METHOD).lower()
    base = "".join(
        f"&{key}={str(params[key]).replace('&', '_').replace('=', '_')}" for key in sorted(params) if key != "sig"
    )
    if method == "md5hash":
        return hashlib.md5((base + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), base.encode(), getattr(hashlib, method)).hexdigest()


def vonage_sign(params: dict, **kwargs) -> dict:
    """``params`` with ``timestamp`` (now, unless given), a nonce and ``sig``: what Vonage posts."""
    signed = {**params}
    signed.setdefault("timestamp", str(int(time.time())))
    signed.setdefault("nonce", hashlib.sha1(f"{time.time_ns()}".encode()).hexdigest()[:16])
    signed["sig"] = vonage_signature(signed, **kwargs)
    return signed


def _vonage_params(request) -> dict | None:
    if request.method == "GET":
        return request.GET.dict()
    if request.content_type == "application/json":
        try:
            body = json_body(request) or {}
        except RequestRefused:
            return None
        return {str(k): "" if v is None else str(v) for k, v in body.items()} if isinstance(body, dict) else None
    return request.POST.dict()


def _vonage_auth_error(params: dict) -> str:
    secret = settings.VONAGE_SIGNATURE_SECRET
    if not secret:
        return "signature secret not configured"
    sig = params.get("sig", "")
    if not sig or not hmac.compare_digest(sig.lower(), vonage_signature(params).lower()):
        return "bad signature"
    timestamp = _int(params.get("timestamp"))
    if timestamp is None or abs(time.time() - timestamp) > settings.WEBHOOK_MAX_AGE_SECONDS:
        return "stale or missing timestamp"
    return ""


def _verified_vonage_params(request) -> tuple[dict, JsonResponse | None]:
    """The SMS API webhook's parameters if well-formed and correctly signed, else a 4xx answer."""
    params = _vonage_params(request)
    if params is None:
        return {}, _reject(400, "malformed body")
    problem = _vonage_auth_error(params)
    if problem:
        return params, _reject(401, problem)
    return params, None


def _iso_time(value):
    """An ISO 8601 time (``2025-05-01T10:00:00.123Z``) as an aware datetime, or None."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def vonage_sms_dlr(request):
    params, rejection = _verified_vonage_params(request)
    if rejection:
        return rejection
    message_id, status = params.get("messageId", ""), params.get("status", "").lower()
    if not message_id or not status:
        return _reject(400, "messageId and status are required")
    err = params.get("err-code", "")
    _apply(
        Receipt(
            provider="vonage",
            event_id=f"sms:{message_id}:{status}",
            kind=VONAGE_DLR_KINDS.get(status, UNKNOWN),
            provider_message_id=message_id,
            delivery_id=_int(params.get("client-ref")),
            recipient=params.get("msisdn", ""),
            occurred_at=None,  # scts / message-timestamp are the carrier's clock: received time
            detail=f"err-code {err}" if err not in ("", "0") else "",
            cost=_decimal(params.get("price")),
            payload={k: v for k, v in params.items() if k != "sig"},
        )
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def vonage_sms_inbound(request):
    params, rejection = _verified_vonage_params(request)
    if rejection:
        return rejection
    if not params.get("msisdn") or not params.get("messageId"):
        return _reject(400, "msisdn and messageId are required")
    _inbound(
        provider="vonage",
        message_id=params["messageId"],
        from_number=params["msisdn"],
        to_number=params.get("to", ""),
        text=params.get("text", ""),
        channel="sms",
    )
    return HttpResponse(status=204)


# --- Vonage Messages API: JWT with payload_hash -----------------------------------------------------


def _vonage_jwt_error(request) -> str:
    import jwt

    secret = settings.VONAGE_SIGNATURE_SECRET
    header = request.headers.get("Authorization", "")
    if not secret:
        return "signature secret not configured"
    if not header.startswith("Bearer "):
        return "missing bearer token"
    try:
        claims = jwt.decode(header[7:], secret, algorithms=["HS256"], options={"require": ["iat"]})
    except jwt.PyJWTError as exc:
        return f"bad token: {exc}"
    if not hmac.compare_digest(str(claims.get("payload_hash", "")), hashlib.sha256(request.body).hexdigest()):
        return "payload_hash does not match the body"
    if abs(time.time() - float(claims["iat"])) > settings.WEBHOOK_MAX_AGE_SECONDS:
        return "stale token"
    return ""


def _json_body(request) -> dict | None:
    try:
        body = json_body(request)
    except RequestRefused:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_http_methods(["POST"])
def vonage_messages_status(request):
    problem = _vonage_jwt_error(request)
    if problem:
        return _reject(401, problem)
    body = _json_body(request)
    if body is None or not body.get("message_uuid") or not body.get("status"):
        return _reject(400, "message_uuid and status are required")
    status = str(body["status"]).lower()
    error = body.get("error") or {}
    _apply(
        Receipt(
            provider="vonage",
            event_id=f"messages:{body['message_uuid']}:{status}",
            kind=VONAGE_MESSAGES_KINDS.get(status, UNKNOWN),
            provider_message_id=body["message_uuid"],
            delivery_id=_int(body.get("client_ref")),
            recipient=str(body.get("to", "")),
            occurred_at=_iso_time(body.get("timestamp")),  # Vonage's own clock
            detail=str(error.get("title") or error.get("detail") or "") if isinstance(error, dict) else str(error),
            cost=_decimal((body.get("usage") or {}).get("price")),
            payload=body,
        )
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_http_methods(["POST"])
def vonage_messages_inbound(request):
    problem = _vonage_jwt_error(request)
    if problem:
        return _reject(401, problem)
    body = _json_body(request)
    if body is None or not body.get("message_uuid") or not body.get("from"):
        return _reject(400, "message_uuid and from are required")
    channel = "whatsapp" if body.get("channel") == "whatsapp" else "sms"
    _inbound(
        provider="vonage",
        message_id=body["message_uuid"],
        from_number=str(body["from"]),
        to_number=str(body.get("to", "")),
        text=str(body.get("text", "")),
        channel=channel,
    )
    return HttpResponse(status=204)


# --- Twilio: X-Twilio-Signature ------------------------------------------------------------------


def _twilio_authentic(request) -> bool:
    from twilio.request_validator import RequestValidator

    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    params = request.POST.dict()
    # Twilio signs the URL it called: ours as configured (behind a proxy) or as this request sees it.
    urls = {settings.SITE_URL + request.get_full_path(), request.build_absolute_uri()}
    return any(validator.validate(url, params, signature) for url in urls)


@csrf_exempt
@require_http_methods(["POST"])
def twilio_status(request):
    if not _twilio_authentic(request):
        return _reject(403, "bad signature")
    sid, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "").lower()
    if not sid or not status:
        return _reject(400, "MessageSid and MessageStatus are required")
    code = request.POST.get("ErrorCode", "")
    _apply(
        Receipt(
            provider="twilio",
            event_id=f"{sid}:{status}",
            kind=TWILIO_KINDS.get(status, UNKNOWN),
            provider_message_id=sid,
            recipient=request.POST.get("To", ""),
            detail=f"error {code}" if code else "",
            cost=_decimal(request.POST.get("Price")),
            payload=request.POST.dict(),
        )
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_http_methods(["POST"])
def twilio_inbound(request):
    if not _twilio_authentic(request):
        return _reject(403, "bad signature")
    sid, sender = request.POST.get("MessageSid", ""), request.POST.get("From", "")
    if not sid or not sender:
        return _reject(400, "MessageSid and From are required")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    _inbound(
        provider="twilio",
        message_id=sid,
        from_number=sender,
        to_number=request.POST.get("To", ""),
        text=request.POST.get("Body", ""),
        channel=channel,
    )
    # The reply goes through the API (one path, recorded), so the TwiML answer is empty.
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")
