"""Twilio as an SMS provider, through the ``twilio`` SDK. Its HTTP client is built without retries
(the dispatcher owns them); ``TWILIO_API_BASE`` rewrites ``https://api.twilio.com`` for the tests'
fake server. Each message asks for a status callback to our webhook."""
import logging
import threading
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

from ..ratelimit import throttle
from .base import OutboundMessage, Provider, SendResult, SendStatus

TWILIO_API = "https://api.twilio.com"
# Error codes that mean this recipient cannot get this text from any provider.
RECIPIENT_ERRORS = {
    21211: "Invalid 'To' phone number", 21614: "'To' number is not a valid mobile number",
    21610: "The recipient replied STOP", 21612: "Cannot route to this number", 21408: "Region not enabled",
    21617: "Message body too long", 30005: "Unknown destination handset", 30006: "Landline or unreachable carrier",
}


def _http_client():
    from twilio.http.http_client import TwilioHttpClient

    class RebasedHttpClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            if settings.TWILIO_API_BASE and url.startswith(TWILIO_API):
                url = settings.TWILIO_API_BASE.rstrip("/") + url[len(TWILIO_API):]
            return super().request(method, url, *args, **kwargs)

    quiet = logging.getLogger("waypost.twilio_http")  # the SDK logs every request at INFO
    quiet.setLevel(logging.WARNING)
    client = RebasedHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS, max_retries=0, logger=quiet)
    if client.session is not None:
        from requests.adapters import HTTPAdapter

        client.session.mount("http://", HTTPAdapter(max_retries=0))
    return client


def status_callback_url() -> str:
    return settings.SITE_URL + reverse("webhooks-twilio-status")


class TwilioProvider(Provider):
    name = "twilio"

    parallel = True  # one SDK client per thread

    def __init__(self, *, channel: str):
        super().__init__(channel=channel)
        self._local = threading.local()

    @property
    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from twilio.rest import Client

            client = self._local.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN,
                                                 http_client=_http_client())
        return client

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        from twilio.base.exceptions import TwilioRestException

        throttle(self.name)
        sender = message.sender_id or ""
        if sender[:1].isdigit():
            sender = f"+{sender}"
        to = message.to if message.to.startswith("+") else f"+{message.to}"
        try:
            sent = self.client.messages.create(to=to, from_=sender, body=message.body_text,
                                               status_callback=status_callback_url())
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            text = f"{exc.msg}"[:500]
            if exc.status in (429,) or exc.status >= 500 or exc.status in (401, 403) or code == 20429:
                return SendResult(SendStatus.TRANSIENT, error_code=f"twilio_{code or exc.status}", error_text=text)
            return SendResult(SendStatus.PERMANENT, error_code=f"twilio_{code or exc.status}",
                              error_text=RECIPIENT_ERRORS.get(code, text))
        except Exception as exc:  # timeouts, connection errors
            return SendResult(SendStatus.TRANSIENT, error_code=exc.__class__.__name__, error_text=str(exc)[:500])
        try:
            cost = abs(Decimal(str(sent.price))) if sent.price not in (None, "") else None
        except InvalidOperation:
            cost = None
        return SendResult(SendStatus.ACCEPTED, provider_message_id=sent.sid or "", cost=cost)
