"""Email tracking webhooks: anymail's views (mounted at ``/anymail/<esp>/tracking/``) verify each
post (``ANYMAIL_WEBHOOK_SECRET`` basic auth, plus the ESP's signature where anymail checks one)
and parse it into ``AnymailTrackingEvent``s; the receiver here turns each into a ``Receipt`` and
applies it: the delivery is found by the ``delivery_id`` we sent as metadata (else by message id),
duplicates are ignored by the ESP's event id (else a hash of the payload), failures fall back to
the plan's next channel after commit, and an ``unsubscribed`` event opts the customer out of email.

``webhook_urlpatterns()`` is anymail's URL list with one guard: an ESP whose only authentication
is basic auth answers 403 while ``ANYMAIL_WEBHOOK_SECRET`` is unset (anymail would only warn)."""
import functools
import hashlib
import json
import logging

from anymail.signals import tracking
from anymail.utils import get_anymail_setting
from django.db import transaction
from django.http import HttpResponseForbidden
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt

from notifications.services import receipts as r

logger = logging.getLogger(__name__)

# anymail's normalised event types -> our receipt kinds
KINDS = {
    "queued": r.QUEUED, "sent": r.SENT, "delivered": r.DELIVERED, "deferred": r.DEFERRED,
    "bounced": r.BOUNCED, "rejected": r.REJECTED, "failed": r.FAILED, "complained": r.COMPLAINED,
    "opened": r.OPENED, "clicked": r.CLICKED, "unsubscribed": r.UNSUBSCRIBED,
}
# ESP bounce types that are not a permanent failure of the address (Postmark's names).
SOFT_BOUNCES = {"SoftBounce", "Transient", "DnsError"}


def _event_id(event) -> str:
    if event.event_id:
        return str(event.event_id)
    raw = json.dumps(event.esp_event, sort_keys=True, default=str) if event.esp_event is not None else repr(event.__dict__)
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
        provider=esp_name.lower().replace(" ", "_"), event_id=_event_id(event),
        kind=KINDS.get(event.event_type, r.UNKNOWN), provider_message_id=str(event.message_id or ""),
        delivery_id=_delivery_id(event), recipient=event.recipient or "", occurred_at=event.timestamp,
        detail=str(detail or ""), hard=esp_event.get("Type") not in SOFT_BOUNCES,
        payload=json.loads(json.dumps(esp_event, default=str)),
    )


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail.signals.tracking receiver: apply one event; raising makes the ESP retry later."""
    from notifications.tasks import enqueue_deliveries
    from preferences.models import ChannelConsent
    from preferences.services import consent_set

    receipt = receipt_from_event(event, esp_name=esp_name)
    with transaction.atomic():
        stored, follow_up = r.receipt_apply(receipt)
        if stored is None:
            logger.info("duplicate %s event %s ignored", receipt.provider, receipt.event_id)
            return
        if stored.delivery_id is None:
            logger.info("%s %s event for an unknown message (%s, delivery %s): recorded, not applied",
                        receipt.provider, receipt.kind, receipt.provider_message_id, receipt.delivery_id)
            return
        if receipt.kind == r.UNSUBSCRIBED:
            delivery = stored.delivery
            consent_set(customer=delivery.notification.customer, channel="email",
                        state=ChannelConsent.State.OPTED_OUT, source="email_unsubscribe",
                        actor=f"provider:{receipt.provider}", delivery_id=delivery.pk,
                        notification_id=delivery.notification_id, reference=receipt.event_id)
        if follow_up:
            transaction.on_commit(lambda: enqueue_deliveries(follow_up))


def connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="channels.webhooks_email.on_tracking")


def _require_secret(view):
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not get_anymail_setting("webhook_secret", default=None):
            return HttpResponseForbidden("Email webhooks are off: set ANYMAIL_WEBHOOK_SECRET (user:password).")
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


def webhook_urlpatterns() -> list:
    """anymail's webhook URLs; those that rely on basic auth alone refuse posts without a secret."""
    from anymail import urls as anymail_urls

    patterns = []
    for pattern in anymail_urls.urlpatterns:
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is not None and getattr(view_class, "warn_if_no_basic_auth", False):
            pattern = URLPattern(pattern.pattern, _require_secret(pattern.callback), pattern.default_args, pattern.name)
        patterns.append(pattern)
    return patterns
