"""Twilio as an SMS provider, through the ``twilio`` SDK. Its HTTP client is built without retries
(the dispatcher owns them); ``TWILIO_API_BASE`` rewrites ``https://api.twilio.com`` for the tests'
fake server. Each message asks for a status callback to our webhook, with the delivery id in its
URL: Waypost's reference, so a callback finds the delivery even when the API's answer was lost.

A send whose outcome is unknown is looked up in Twilio's message list: the messages to that
number since the first attempt, matched on the text the attempts sent (Twilio keeps no client
reference); ``RECONCILE_SETTLE_SECONDS["twilio"]`` after the call, not found means not sent."""

import logging
import threading
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

from channels.base import (
    Found,
    Lookup,
    OutboundMessage,
    Provider,
    Reconciliation,
    SendResult,
    SendStatus,
    body_digest,
)
from channels.outcomes import failed_call
from channels.ratelimit import throttle

TWILIO_API = "https://api.twilio.com"
# Error codes that mean this recipient cannot get this text from any provider.
RECIPIENT_ERRORS = {
    21211: "Invalid 'To' phone number",
    21614: "'To' number is not a valid mobile number",
    21610: "The recipient replied STOP",
    21612: "Cannot route to this number",
    21408: "Region not enabled",
    21617: "Message body too long",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
}


def _http_client():
    from twilio.http.http_client import TwilioHttpClient

    class RebasedHttpClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            if settings.TWILIO_API_BASE and url.startswith(TWILIO_API):
                url = settings.TWILIO_API_BASE.rstrip("/") + url[len(TWILIO_API) :]
            return super().request(method, url, *args, **kwargs)

    quiet = logging.getLogger("waypost.twilio_http")  # the SDK logs every request at INFO
    quiet.setLevel(logging.WARNING)
    client = RebasedHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS, max_retries=0, logger=quiet)
    if client.session is not None:
        from requests.adapters import HTTPAdapter

        client.session.mount("http://", HTTPAdapter(max_retries=0))
    return client


def status_callback_url(delivery_id=None) -> str:
    url = settings.SITE_URL + reverse("webhooks-twilio-status")
    return f"{url}?delivery={delivery_id}" if delivery_id else url


class TwilioProvider(Provider):
    name = "twilio"

    parallel = True  # one SDK client per thread
    lookup = matches_body = True

    def __init__(self, *, channel: str):
        super().__init__(channel=channel)
        self._local = threading.local()

    @property
    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from twilio.rest import Client

            client = self._local.client = Client(
                settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=_http_client()
            )
        return client

    def call_seconds(self) -> float:
        return settings.TWILIO_TIMEOUT_SECONDS * 2 + 5.0  # connect and read timeouts

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        from twilio.base.exceptions import TwilioRestException

        throttle(self.name, start_by=message.metadata.get("start_by"))
        sender = message.sender_id or ""
        if sender[:1].isdigit():
            sender = f"+{sender}"
        to = message.to if message.to.startswith("+") else f"+{message.to}"
        try:
            sent = self.client.messages.create(
                to=to,
                from_=sender,
                body=message.body_text,
                status_callback=status_callback_url(message.metadata.get("delivery_id")),
            )
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            text = f"{exc.msg}"[:500]
            if exc.status in (429,) or exc.status >= 500 or exc.status in (401, 403) or code == 20429:
                return SendResult(SendStatus.NOT_SENT, error_code=f"twilio_{code or exc.status}", error_text=text)
            return SendResult(
                SendStatus.PERMANENT,
                error_code=f"twilio_{code or exc.status}",
                error_text=RECIPIENT_ERRORS.get(code, text),
            )
        except Exception as exc:  # no answer: never connected (not sent), or unknown
            return failed_call(exc)
        try:
            cost = abs(Decimal(str(sent.price))) if sent.price not in (None, "") else None
        except InvalidOperation:
            cost = None
        return SendResult(SendStatus.ACCEPTED, provider_message_id=sent.sid or "", cost=cost)

    def reconcile(self, lookup: Lookup) -> Reconciliation:
        """Twilio's messages to the recipient since the first attempt, matched on the text sent."""
        if not lookup.body_digests:
            return Reconciliation(Found.NOT_FOUND)
        to = lookup.to if lookup.to.startswith("+") else f"+{lookup.to}"
        wanted = set(lookup.body_digests)
        found = [
            m
            for m in self.client.messages.list(to=to, date_sent_after=lookup.since, limit=200)
            if body_digest(m.body or "") in wanted and (m.direction or "").startswith("outbound")
        ]
        if not found:
            return Reconciliation(Found.NOT_FOUND)
        return Reconciliation(Found.FOUND, provider_message_id=found[-1].sid or "", copies=len(found))
