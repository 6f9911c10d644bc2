"""Waypost's documented normalized carrier format (for carriers and aggregators that adapt to us).

Webhook (``POST /webhooks/carriers/<carrier>/``), signed with ``X-Waypost-Signature:
sha256=<hex HMAC-SHA256 of the raw body with the carrier's secret>``::

    {"events": [{"tracking_number": "1Z...", "code": "in_transit", "occurred_at": "2025-05-01T10:00:00Z",
                 "description": "Departed facility", "location": "Memphis, TN",
                 "estimated_delivery": "2025-05-03T18:00:00Z"}]}

``code`` is the carrier's status code; the generic mapping knows Waypost's own statuses.
Polling: ``GET <base_url>/tracking?tracking_numbers=a,b&page=N`` answers
``{"events": [...same shape...], "next_page": N+1 or null}``.
"""

import hashlib
import hmac

from intake.carriers.base import CarrierAdapter, CarrierEvent, check_response, parse_time, register
from orders.models import Shipment


def event_from_dict(item: dict) -> CarrierEvent:
    return CarrierEvent(
        tracking_number=str(item["tracking_number"]),
        code=str(item.get("code") or item.get("status") or ""),
        occurred_at=parse_time(item["occurred_at"]),
        description=str(item.get("description", ""))[:300],
        location=str(item.get("location", ""))[:200],
        estimated_delivery=parse_time(item.get("estimated_delivery")),
        raw=item,
    )


@register
class GenericAdapter(CarrierAdapter):
    name = "generic"
    signature_header = "X-Waypost-Signature"
    default_mappings = {s.value: s.value for s in Shipment.Status} | {
        "pre_transit": "label_created",
        "exception": "delivery_exception",
    }

    def verify(self, *, body, headers, secret):
        given = headers.get(self.signature_header, "")
        if not secret or not given.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, given.removeprefix("sha256="))

    def parse_webhook(self, payload):
        return [event_from_dict(item) for item in payload.get("events", [])]

    def fetch(self, *, session, account, tracking_numbers):
        events, page = [], 1
        while page:
            response = session.get(
                f"{account.base_url.rstrip('/')}/tracking",
                params={"tracking_numbers": ",".join(tracking_numbers), "page": page},
                headers={"Authorization": f"Bearer {account.api_key}"} if account.api_key else {},
                timeout=account.timeout_seconds,
            )
            body = check_response(response)
            events.extend(event_from_dict(item) for item in body.get("events", []))
            page = body.get("next_page")
        return events
