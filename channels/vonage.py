"""Vonage: SMS through the SMS API and WhatsApp through the Messages API, with the ``vonage`` SDK (v4).

The SDK's own retries are off (``max_retries=0`` for urllib3, and ``pool_maxsize=1`` because the
SDK's client re-sends a POST after a dropped connection up to ``pool_maxsize`` times, which would
text the customer twice); the dispatcher owns retries. The delivery id goes as ``client-ref`` so a
receipt finds its delivery. Vonage has no look-up of sent messages: a send whose outcome is
unknown waits up to ``RECONCILE_SETTLE_SECONDS["vonage"]`` for a receipt carrying that
``client-ref`` before it is sent again. ``VONAGE_REST_HOST`` / ``VONAGE_API_HOST`` / ``VONAGE_CA_BUNDLE`` point
the SDK elsewhere (the tests' fake server over TLS with a throwaway CA)."""

import re
import threading
from decimal import Decimal, InvalidOperation

from django.conf import settings

from catalogue.sms_encoding import sms_stats
from channels.base import OutboundMessage, Provider, SendResult, SendStatus
from channels.outcomes import failed_call
from channels.ratelimit import throttle

# SMS API status codes (https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms).
THROTTLED, INTERNAL_ERROR = "1", "5"
# The recipient or the message is at fault: another provider would fail the same way.
RECIPIENT_ERRORS = {
    "2": "Missing parameters",
    "3": "Invalid parameters (e.g. the number)",
    "6": "Invalid message (unroutable)",
    "7": "Number barred",
    "12": "Message too long",
    "22": "Invalid network code",
    "33": "Number de-activated",
}
# Everything else (1 throttled, 4 credentials, 5 internal, 8 account barred, 9 quota, 10 binds,
# 11 HTTP not enabled, 14 signature, 15 sender not allowed, 23 callback URL, 29 non-whitelisted
# destination, 32 signature and secret) is on the provider's side: not sent, next provider.


class _PinnedCAAdapter:
    """Built lazily (requests is imported with the SDK)."""

    def __new__(cls, ca_bundle: str):
        from requests.adapters import HTTPAdapter

        class Adapter(HTTPAdapter):
            def send(self, request, **kwargs):
                kwargs["verify"] = ca_bundle
                return super().send(request, **kwargs)

        return Adapter(pool_connections=1, pool_maxsize=1, max_retries=0)


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class VonageProvider(Provider):
    name = "vonage"

    parallel = True  # one SDK client per thread

    def __init__(self, *, channel: str):
        super().__init__(channel=channel)
        self._local = threading.local()

    @property
    def client(self):
        """One SDK client per thread (its HTTP client mutates shared headers per request)."""
        client = getattr(self._local, "client", None)
        if client is None:
            from vonage import Auth, HttpClientOptions, Vonage

            options = HttpClientOptions(
                api_host=settings.VONAGE_API_HOST,
                rest_host=settings.VONAGE_REST_HOST,
                timeout=settings.VONAGE_TIMEOUT_SECONDS,
                max_retries=0,
                pool_connections=1,
                pool_maxsize=1,
            )
            client = Vonage(Auth(api_key=settings.VONAGE_API_KEY, api_secret=settings.VONAGE_API_SECRET), options)
            if settings.VONAGE_CA_BUNDLE:
                # The SDK builds https:// URLs with its own requests session: trust the given CA
                # (an adapter, since REQUESTS_CA_BUNDLE in the environment beats ``session.verify``).
                client.http_client._session.mount("https://", _PinnedCAAdapter(settings.VONAGE_CA_BUNDLE))
            self._local.client = client
        return client

    def call_seconds(self) -> float:
        return settings.VONAGE_TIMEOUT_SECONDS * 2 + 5.0  # connect and read timeouts, and TLS

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        throttle(self.name, start_by=message.metadata.get("start_by"))
        if self.channel == "whatsapp":
            return self._send_whatsapp(message)
        return self._send_sms(message)

    # --- SMS API ---------------------------------------------------------------------------------
    def _send_sms(self, message: OutboundMessage) -> SendResult:
        from vonage_sms import SmsMessage
        from vonage_sms.errors import SmsError

        client_ref = str(message.metadata.get("delivery_id") or "")
        sms = SmsMessage(
            to=message.to.lstrip("+"),
            from_=(message.sender_id or "").lstrip("+"),
            text=message.body_text,
            client_ref=client_ref or None,
            type="unicode" if sms_stats(message.body_text).encoding == "UCS-2" else "text",
        )
        try:
            response = self.client.sms.send(sms)
        except SmsError as exc:
            return self._sms_error(str(exc))
        except Exception as exc:  # HTTP errors, timeouts, connection failures
            return _http_failure(exc)
        part = response.messages[0]
        cost = sum((_decimal(m.message_price) or Decimal(0) for m in response.messages), Decimal(0))
        return SendResult(
            SendStatus.ACCEPTED,
            provider_message_id=part.message_id or "",
            cost=cost if any(m.message_price for m in response.messages) else None,
        )

    @staticmethod
    def _sms_error(text: str) -> SendResult:
        match = re.search(r"error code (\d+): (.*)", text, re.S)
        code, detail = (match.group(1), match.group(2).strip()) if match else ("", text)
        if code in RECIPIENT_ERRORS:
            return SendResult(
                SendStatus.PERMANENT, error_code=f"vonage_{code}", error_text=detail or RECIPIENT_ERRORS[code]
            )
        return SendResult(SendStatus.NOT_SENT, error_code=f"vonage_{code or 'error'}", error_text=detail)

    # --- Messages API (WhatsApp) -----------------------------------------------------------------
    def _send_whatsapp(self, message: OutboundMessage) -> SendResult:
        from vonage_messages import WhatsappTemplate, WhatsappTemplateResource, WhatsappTemplateSettings, WhatsappText

        to = message.to.lstrip("+")
        sender = (settings.VONAGE_WHATSAPP_NUMBER or message.sender_id).lstrip("+")
        client_ref = str(message.metadata.get("delivery_id") or "") or None
        template = message.metadata.get("whatsapp_template")
        try:
            if template:  # outside the 24-hour window only an approved template may open a conversation
                payload = WhatsappTemplate(
                    to=to,
                    from_=sender,
                    client_ref=client_ref,
                    template=WhatsappTemplateResource(name=template, parameters=[message.body_text]),
                    whatsapp=WhatsappTemplateSettings(
                        locale=message.metadata.get("locale", "en_US"), policy="deterministic"
                    ),
                )
            else:
                payload = WhatsappText(to=to, from_=sender, text=message.body_text, client_ref=client_ref)
            response = self.client.messages.send(payload)
        except Exception as exc:
            return _http_failure(exc)
        return SendResult(SendStatus.ACCEPTED, provider_message_id=response.message_uuid)


def _http_failure(exc: Exception) -> SendResult:
    """429 and 5xx answers: not sent; credentials and permissions are the provider side (not
    sent: the next provider); other 4xx mean this message cannot go; a call that failed without
    an answer is not sent only when it provably never connected, else its outcome is unknown."""
    from pydantic import ValidationError
    from vonage_http_client.errors import (
        AuthenticationError,
        ForbiddenError,
        HttpRequestError,
        RateLimitedError,
        ServerError,
    )

    name = exc.__class__.__name__
    if isinstance(exc, ValidationError):
        return SendResult(SendStatus.PERMANENT, error_code="invalid_request", error_text=str(exc)[:500])
    if isinstance(exc, (RateLimitedError, ServerError, AuthenticationError, ForbiddenError)):
        return SendResult(SendStatus.NOT_SENT, error_code=f"vonage_http_{name}", error_text=str(exc)[:500])
    if isinstance(exc, HttpRequestError):
        status = getattr(getattr(exc, "response", None), "status_code", 0) or 0
        kind = SendStatus.NOT_SENT if status >= 500 or status in (408, 429) else SendStatus.PERMANENT
        return SendResult(kind, error_code=f"vonage_http_{status}", error_text=str(exc)[:500])
    return failed_call(exc)
