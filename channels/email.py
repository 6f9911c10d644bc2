"""The email provider: one backend for every way Django sends mail. ``EMAIL_PROVIDER`` picks
Django's ``EMAIL_BACKEND`` (an anymail ESP such as Postmark or Mailgun, SMTP or the console);
this class builds the multipart message (text + branded HTML, inline QR image, List-Unsubscribe
headers, the delivery id as anymail metadata and the type as a tag), sends it through
``get_connection()`` and turns anymail's answer into one ``SendResult``.

It never retries (anymail's requests session does not either): 429, 5xx or a connection that was
never made is NOT_SENT and the dispatcher retries it; a timeout after sending or a connection
dropped before the answer is UNKNOWN and the delivery is looked up at the ESP first
(``esp_lookup``: Postmark and Mailgun; other ESPs: their tracking webhooks, which carry the
delivery id); any other 4xx, a refused or invalid recipient is PERMANENT and the plan falls back
to its next channel."""

import contextlib
import smtplib
import socket
import threading
from email.utils import formataddr, make_msgid

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from anymail.message import attach_inline_image
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection

from catalogue.email_layout import QR_CID_PLACEHOLDER, qr_png
from channels import esp_lookup
from channels.base import Lookup, OutboundMessage, Provider, Reconciliation, SendResult, SendStatus
from channels.outcomes import failed_call

# The ESPs anymail ships a backend for (``anymail.backends.<name>.EmailBackend``).
ANYMAIL_ESPS = (
    "amazon_ses",
    "brevo",
    "mailersend",
    "mailgun",
    "mailjet",
    "mailtrap",
    "mandrill",
    "postal",
    "postmark",
    "resend",
    "scaleway",
    "sendgrid",
    "sendinblue",
    "sparkpost",
    "unisender_go",
)
PROVIDER_NAMES = ("console", "smtp", *ANYMAIL_ESPS)
# Metadata keys the ESP gets back in its webhooks (the rest of OutboundMessage.metadata is ours).
ESP_METADATA = ("delivery_id", "notification_id", "type", "idempotency_key")


def check_email_configuration() -> None:
    """Fail at startup (web, worker, commands) when the chosen ESP lacks a required setting:
    instantiating its backend is what makes anymail name the missing one."""
    provider = settings.WAYPOST_PROVIDERS.get("email", "sandbox")
    if provider == "sandbox":
        return
    if provider not in PROVIDER_NAMES:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider!r} is unknown: use sandbox, console, smtp or one of {', '.join(ANYMAIL_ESPS)}."
        )
    try:
        get_connection()
    except ImproperlyConfigured as exc:  # anymail's AnymailConfigurationError / ImproperlyInstalled
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider}: {exc} (from the environment: ANYMAIL_<SETTING>, "
            f"e.g. ANYMAIL_POSTMARK_SERVER_TOKEN)"
        ) from exc
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={provider}: {exc} (pip install 'django-anymail[{provider}]')"
        ) from exc


def _settle_environment(session, url: str) -> None:
    """Take what requests would read from the environment (proxies, CA bundle) once for the
    ESP's URL, instead of on every request (~/.netrc and proxy look-ups: the bench profile)."""
    if session is None or not session.trust_env:
        return
    found = session.merge_environment_settings(url or None, {}, None, None, None)
    session.trust_env = False
    session.proxies.update(found.get("proxies") or {})
    if found.get("verify") not in (None, True):
        session.verify = found["verify"]


def _api_error(exc: AnymailAPIError) -> SendResult:
    status = exc.status_code
    text = str(exc)[:2000]
    if status is None:  # no answer: anymail's error is also the requests exception it wraps
        return failed_call(exc, code="no_response")
    if status == 429 or status >= 500:  # throttled, ESP down: it did not take the message
        return SendResult(SendStatus.NOT_SENT, error_code=f"http_{status}", error_text=text)
    if status < 300:  # it answered yes, in words anymail could not read: it may well have it
        return SendResult(SendStatus.UNKNOWN, error_code=f"http_{status}", error_text=text)
    return SendResult(SendStatus.PERMANENT, error_code=f"http_{status}", error_text=text)


def _timeout_seconds() -> float:
    timeout = getattr(settings, "ANYMAIL", {}).get("REQUESTS_TIMEOUT", 30.0)
    return float(sum(timeout)) if isinstance(timeout, (tuple, list)) else 2 * float(timeout)


class EmailProvider(Provider):
    """Sends through Django's configured email backend; ``name`` is the ESP (``postmark``, ...)."""

    def __init__(self, *, channel: str):
        super().__init__(channel=channel)
        self.name = settings.WAYPOST_PROVIDERS.get(channel, "console")
        self._local = threading.local()
        # An ESP's API is called through a backend per thread; SMTP and console send one by one.
        self.parallel = self.name in ANYMAIL_ESPS
        self.lookup = self.name in esp_lookup.LOOKUPS

    def call_seconds(self) -> float:
        if self.name == "smtp":
            return 3 * float(getattr(settings, "EMAIL_TIMEOUT", None) or 30) + 5.0  # connect, DATA, QUIT
        return _timeout_seconds() + 5.0  # connect and read timeouts

    def reconcile(self, lookup: Lookup) -> Reconciliation:
        """Postmark's and Mailgun's own record of the messages they accepted, by the delivery id
        sent as metadata; other ESPs have no look-up here (their webhooks settle it)."""
        find = esp_lookup.LOOKUPS.get(self.name)
        if find is None:
            return super().reconcile(lookup)
        return find(self._connection(), lookup, timeout=_timeout_seconds() / 2)

    def _connection(self):
        """An anymail backend stays open per thread, so its requests session keeps its HTTP
        connection to the ESP (the bench's profile: a new TCP connection per email). It is
        rebuilt when the mail settings change and dropped after any failure. Sessions never
        retry (requests' default), so reuse cannot send a message twice."""
        key = (settings.EMAIL_BACKEND, repr(sorted(getattr(settings, "ANYMAIL", {}).items())))
        if getattr(self._local, "key", None) != key:
            self._drop_connection()
            connection = get_connection()
            if not getattr(connection, "esp_name", None):
                return connection  # SMTP, console, locmem: as Django sends, one connection per message
            connection.open()
            _settle_environment(getattr(connection, "session", None), getattr(connection, "api_url", ""))
            self._local.connection, self._local.key = connection, key
        return self._local.connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = self._local.key = None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken session is being thrown away anyway
                connection.close()

    def build(self, message: OutboundMessage, *, idempotency_key: str, connection=None) -> EmailMultiAlternatives:
        sender = formataddr((message.from_name, message.from_email)) if message.from_name else message.from_email
        headers = dict(message.headers)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=sender,
            to=[message.to],
            reply_to=[message.reply_to] if message.reply_to else None,
            headers=headers,
            connection=connection,
        )
        html = message.body_html
        qr_code = message.metadata.get("qr_code")
        if qr_code and QR_CID_PLACEHOLDER in html:
            cid = attach_inline_image(
                email,
                qr_png(qr_code),
                filename="return-code.png",
                subtype="png",
                idstring="return-qr",
                domain="waypost",
            )
            html = html.replace(QR_CID_PLACEHOLDER, cid)
        if html:
            email.attach_alternative(html, "text/html")
        # anymail's normalised extras (plain Django backends ignore them)
        metadata = {key: str(message.metadata[key]) for key in ESP_METADATA if message.metadata.get(key) is not None}
        metadata["idempotency_key"] = idempotency_key
        email.metadata = metadata
        email.tags = [message.metadata["type"]] if message.metadata.get("type") else []
        email.track_opens = email.track_clicks = True
        return email

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        try:
            connection = self._connection()
            email = self.build(message, idempotency_key=idempotency_key, connection=connection)
            if not getattr(connection, "esp_name", None):
                # A plain backend (SMTP, console) reports no id: choose the Message-ID ourselves.
                email.extra_headers.setdefault("Message-ID", make_msgid(domain=message.from_email.rsplit("@", 1)[-1]))
            try:
                email.send()
            except Exception:
                self._drop_connection()  # a failed session is not reused
                raise
        except AnymailRecipientsRefused as exc:
            return SendResult(SendStatus.PERMANENT, error_code="recipient_refused", error_text=str(exc)[:2000])
        except AnymailAPIError as exc:
            return _api_error(exc)
        except AnymailError as exc:  # the message itself cannot be sent (unsupported feature, bad data)
            return SendResult(SendStatus.PERMANENT, error_code=exc.__class__.__name__, error_text=str(exc)[:2000])
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(SendStatus.PERMANENT, error_code="recipient_refused", error_text=str(exc)[:2000])
        except smtplib.SMTPResponseException as exc:  # the server answered: 5xx never, 4xx not now
            status = SendStatus.PERMANENT if 500 <= exc.smtp_code < 600 else SendStatus.NOT_SENT
            return SendResult(status, error_code=f"smtp_{exc.smtp_code}", error_text=str(exc.smtp_error)[:2000])
        except (smtplib.SMTPConnectError, ConnectionRefusedError, socket.gaierror) as exc:  # never connected
            return SendResult(SendStatus.NOT_SENT, error_code=exc.__class__.__name__, error_text=str(exc)[:2000])
        except (smtplib.SMTPException, OSError) as exc:  # dropped or timed out after connecting
            return SendResult(SendStatus.UNKNOWN, error_code=exc.__class__.__name__, error_text=str(exc)[:2000])
        return self._result(email, message.to)

    @staticmethod
    def _result(email: EmailMultiAlternatives, to: str) -> SendResult:
        status = getattr(email, "anymail_status", None)
        if status is None or status.status is None:
            return SendResult(SendStatus.ACCEPTED, provider_message_id=email.extra_headers.get("Message-ID", ""))
        recipient = next((s for address, s in (status.recipients or {}).items() if address.lower() == to.lower()), None)
        state = recipient.status if recipient else next(iter(status.status))
        message_id = str((recipient.message_id if recipient else None) or status.message_id or "")
        if state in ("rejected", "invalid"):
            return SendResult(
                SendStatus.PERMANENT,
                provider_message_id=message_id,
                error_code=state,
                error_text=f"the ESP reports {to} as {state}",
            )
        if state == "failed":
            return SendResult(
                SendStatus.NOT_SENT,
                provider_message_id=message_id,
                error_code=state,
                error_text="the ESP could not send it",
            )
        return SendResult(SendStatus.ACCEPTED, provider_message_id=message_id)
