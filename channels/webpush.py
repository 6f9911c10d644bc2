"""Web Push provider (``PUSH_PROVIDER=webpush``) through ``pywebpush``: the message goes, encrypted
and VAPID-signed, to each of the customer's live browser subscriptions.

Push service answers: 2xx accepted; 404/410 the subscription is gone (marked expired, never used
again); 429/5xx not sent (retried); a call without an answer not sent if it never connected, else
unknown. With no live subscription left the send is PERMANENT, so the dispatcher falls back to
the plan's next channel.

Push services have no look-up, so a send whose outcome is unknown is sent again at once, made
harmless: every attempt of a delivery carries the same ``Topic`` (the push service replaces a
message it still holds with the newer one of the same topic) and the same notification ``tag``
(the browser shows one notification per tag)."""

import json

import requests
from django.conf import settings
from django.utils import timezone
from pywebpush import WebPushException, webpush

from channels.base import OutboundMessage, Provider, SendResult, SendStatus
from channels.outcomes import request_never_sent

GONE = (404, 410)


class WebPushProvider(Provider):
    name = "webpush"

    def __init__(self, *, channel: str):
        super().__init__(channel=channel)
        self.session = requests.Session()  # plain session: no adapter retries (the dispatcher owns retries)

    def call_seconds(self) -> float:
        return settings.WEBPUSH_TIMEOUT_SECONDS * 2 + 5.0

    def payload(self, message: OutboundMessage) -> str:
        return json.dumps(
            {
                "title": message.subject,
                "body": message.body_text,
                "url": message.link,
                "preferences_url": message.metadata.get("preferences_url", ""),
                "tag": str(message.metadata.get("notification_id", "")),
            }
        )

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        from preferences.models import PushSubscription
        from preferences.vapid import vapid_private_key

        subscriptions = list(
            PushSubscription.objects.filter(customer_id=message.metadata["customer_id"], expired_at__isnull=True)
        )
        if not subscriptions:
            return SendResult(
                SendStatus.PERMANENT,
                error_code="no_subscription",
                error_text="The customer has no live push subscription",
            )
        data, private_key = self.payload(message), vapid_private_key()
        accepted, transient, unknown, gone = [], [], [], []
        # Push services accept up to 32 URL-safe base64 characters.
        topic = f"wpd{message.metadata.get('delivery_id') or idempotency_key.replace('-', '')}"[:32]
        for sub in subscriptions:
            try:
                response = webpush(
                    sub.subscription_info(),
                    data=data,
                    vapid_private_key=private_key,
                    vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                    timeout=settings.WEBPUSH_TIMEOUT_SECONDS,
                    ttl=settings.WEBPUSH_TTL_SECONDS,
                    headers={"Topic": topic},
                    requests_session=self.session,
                )
            except WebPushException as exc:
                status = getattr(exc.response, "status_code", None)
                (
                    gone if status in GONE else transient if status is None or status == 429 or status >= 500 else gone
                ).append((sub, status, str(exc)[:300]))
            except requests.RequestException as exc:
                (transient if request_never_sent(exc) else unknown).append((sub, None, str(exc)[:300]))
            else:
                accepted.append((sub, response))
        now = timezone.now()
        for sub, _status, _text in gone:
            PushSubscription.objects.filter(pk=sub.pk, expired_at__isnull=True).update(expired_at=now)
        if accepted:
            PushSubscription.objects.filter(pk__in=[s.pk for s, _ in accepted]).update(last_success_at=now)
            location = accepted[0][1].headers.get("Location", "") if hasattr(accepted[0][1], "headers") else ""
            return SendResult(SendStatus.ACCEPTED, provider_message_id=(location or f"webpush-{idempotency_key}")[:200])
        if unknown:
            return SendResult(SendStatus.UNKNOWN, error_code="no_answer", error_text=unknown[0][2])
        if transient:
            _sub, status, text = transient[0]
            return SendResult(
                SendStatus.NOT_SENT, error_code=f"http_{status}" if status else "network", error_text=text
            )
        _sub, status, text = gone[0]
        return SendResult(
            SendStatus.PERMANENT,
            error_code=f"http_{status}",
            error_text=f"push subscription expired ({status}); none left: {text}",
        )
