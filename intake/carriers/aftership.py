"""AfterShip-style tracking webhooks (``tracking_update``), signed with ``aftership-hmac-sha256``
(base64 HMAC-SHA256 of the raw body with the webhook secret)::

    {"event": "tracking_update", "ts": 1714557600,
     "msg": {"tracking_number": "1Z...", "slug": "ups", "tag": "InTransit", "subtag": "InTransit_002",
             "expected_delivery": "2025-05-03T18:00:00+00:00",
             "checkpoints": [{"checkpoint_time": "2025-05-01T10:00:00+00:00", "tag": "InTransit",
                              "subtag": "InTransit_002", "message": "Departed facility",
                              "location": "Memphis, TN, US"}]}}

Every checkpoint becomes an event (the ones already stored are dropped by the dedupe key);
the code is the checkpoint's ``tag``.
"""

from intake.carriers.base import CarrierAdapter, CarrierEvent, parse_time, register


@register
class AfterShipAdapter(CarrierAdapter):
    name = "aftership"
    signature_header = "aftership-hmac-sha256"
    default_mappings = {
        "Pending": "",
        "InfoReceived": "label_created",
        "InTransit": "in_transit",
        "OutForDelivery": "out_for_delivery",
        "AttemptFail": "delivery_exception",
        "AvailableForPickup": "out_for_delivery",
        "Delivered": "delivered",
        "Exception": "delivery_exception",
        "Expired": "",
    }

    def parse_webhook(self, payload):
        msg = payload.get("msg") or {}
        number = str(msg["tracking_number"])
        eta = parse_time(msg.get("expected_delivery") or msg.get("aftership_estimated_delivery_date"))
        checkpoints = sorted(msg.get("checkpoints") or [], key=lambda c: c.get("checkpoint_time", ""))
        events = [
            CarrierEvent(
                tracking_number=number,
                code=str(c.get("tag", "")),
                occurred_at=parse_time(c["checkpoint_time"]),
                description=str(c.get("message", ""))[:300],
                location=str(c.get("location") or "")[:200],
                raw=c,
            )
            for c in checkpoints
        ]
        if events and eta:
            events[-1].estimated_delivery = eta  # the ETA belongs to the tracking as of its latest checkpoint
        return events
