"""Email tracking webhooks: anymail's views (mounted at ``/anymail/<esp>/tracking/``) verify each
post (``ANYMAIL_WEBHOOK_SECRET`` basic auth, plus the ESP's signature where anymail checks one)
and parse it into ``AnymailTrackingEvent``s; the receiver here turns each into a ``Receipt``
(carrying the ``delivery_id`` we sent as metadata, and the ESP's event id, else a hash of the
payload, to dedupe on) and sends it as ``receipt_received`` for the pipeline to apply.

``webhook_urlpatterns()`` is anymail's tracking URLs (Waypost reads no inbound email) with two
guards: only the configured ESPs answer (``EMAIL_PROVIDER`` and ``EMAIL_WEBHOOK_PROVIDERS``, e.g.
the ESP being moved away from); every other ESP's URL is a 404. And an ESP whose only
authentication is basic auth answers 403 while ``ANYMAIL_WEBHOOK_SECRET`` is unset (anymail
would only warn)."""

import functools
import hashlib
import json

from anymail.signals import tracking
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.http import HttpResponseForbidden
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt

from channels import receipts as r
from core.api.errors import error_response

# anymail's URL names that differ from the ESP's backend name
ESP_ALIASES = {"sendinblue": "brevo"}

# anymail's normalised event types -> our receipt kinds
KINDS = {
    "queued": r.QUEUED,
    "sent": r.SENT,
    "delivered": r.DELIVERED,
    "deferred": r.DEFERRED,
    "bounced": r.BOUNCED,
    "rejected": r.REJECTED,
    "failed": r.FAILED,
    "complained": r.COMPLAINED,
    "opened": r.OPENED,
    "clicked": r.CLICKED,
    "unsubscribed": r.UNSUBSCRIBED,
}
# ESP bounce types that are not a permanent failure of the address (Postmark's names).
SOFT_BOUNCES = {"SoftBounce", "Transient", "DnsError"}


def _event_id(event) -> str:
    if event.event_id:
        return str(event.event_id)
    raw = (
        json.dumps(event.esp_event, sort_keys=True, default=str)
        if event.esp_event is not None
        else repr(event.__dict__)
    )
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _delivery_id(event) -> int | None:
    try:
        return int((event.metadata or {}).get("delivery_id"))
    except (TypeError, ValueError):
        return None


def receipt_from_event(event, *, esp_name: str) -> r.Receipt:
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    detail = event.description or event.mta_response or (event.click_url or "")
    return r.Receipt(
        provider=esp_name.lower().replace(" ", "_"),
        event_id=_event_id(event),
        kind=KINDS.get(event.event_type, r.UNKNOWN),
        provider_message_id=str(event.message_id or ""),
        delivery_id=_delivery_id(event),
        recipient=event.recipient or "",
        occurred_at=event.timestamp,
        detail=str(detail or ""),
        hard=esp_event.get("Type") not in SOFT_BOUNCES,
        payload=json.loads(json.dumps(esp_event, default=str)),
    )


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail.signals.tracking receiver: pass one event on as a ``Receipt``; a receiver that
    raises makes the ESP retry later."""
    receipt = receipt_from_event(event, esp_name=esp_name)
    r.receipt_received.send(sender=receipt.provider, receipt=receipt)


def connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="channels.webhooks_email.on_tracking")


def _require_secret(view):
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not get_anymail_setting("webhook_secret", default=None):
            return HttpResponseForbidden("Email webhooks are off: set ANYMAIL_WEBHOOK_SECRET (user:password).")
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


def configured_esps() -> set[str]:
    """The ESPs whose tracking webhooks are answered."""
    names = {settings.WAYPOST_PROVIDERS.get("email", ""), *getattr(settings, "EMAIL_WEBHOOK_PROVIDERS", [])}
    return {ESP_ALIASES.get(name, name) for name in names if name}


def _esp_of(url_name: str) -> str:
    esp = url_name.removesuffix("_webhook").removesuffix("_tracking")
    return ESP_ALIASES.get(esp, esp)


def _only_if_configured(view, esp: str):
    @functools.wraps(view)
    def answered(request, *args, **kwargs):
        if esp not in configured_esps():
            return error_response(404, f"no email provider webhook here: {esp} is not configured")
        return view(request, *args, **kwargs)

    return csrf_exempt(answered)


def webhook_urlpatterns() -> list:
    """anymail's tracking webhook URLs, each answered only while its ESP is configured; those that
    rely on basic auth alone refuse posts without a secret."""
    from anymail import urls as anymail_urls

    patterns = []
    for pattern in anymail_urls.urlpatterns:
        if "inbound" in (pattern.name or ""):
            continue
        view = pattern.callback
        view_class = getattr(view, "view_class", None)
        if view_class is not None and getattr(view_class, "warn_if_no_basic_auth", False):
            view = _require_secret(view)
        view = _only_if_configured(view, _esp_of(pattern.name))
        patterns.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return patterns
