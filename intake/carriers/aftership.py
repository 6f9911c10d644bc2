"""AfterShip tracking webhooks (``tracking_update``), signed with ``aftership-hmac-sha256``
(base64 HMAC-SHA256 of the raw body with the webhook secret)::

    {"event": "tracking_update", "ts": 1714557600,
     "msg": {"tracking_number": "1Z...", "slug": "ups", "tag": "InTransit", "subtag": "InTransit_002",
             "expected_delivery": "2025-05-03T18:00:00+00:00",
             "checkpoints": [{"checkpoint_time": "2025-05-01T10:00:00+00:00", "tag": "InTransit",
                              "subtag": "InTransit_002", "message": "Departed facility",
                              "location": "Memphis, TN, US"}]}}

Every checkpoint becomes an event (the ones already stored are dropped by the dedupe key);
the code is the checkpoint's ``tag``.

One AfterShip account tracks shipments of many carriers and posts them all to one URL, so the
shipment is found by the payload's ``msg.slug`` (AfterShip's courier slug) and
``msg.tracking_number``, not by the account the URL names: the slug is matched as it is (a shop
that wrote "Royal Mail" files it as ``royal-mail``) and as Waypost's code for that carrier where
the two differ (``SLUG_TO_CARRIER``).
"""

from intake.carriers.base import CarrierAdapter, CarrierEvent, parse_time, register

# AfterShip courier slugs whose Waypost carrier code differs (the codes of CARRIER_NAMES in
# catalogue.snapshots); other slugs (ups, usps, fedex, dhl, dpd, estafeta, ...) are the same.
SLUG_TO_CARRIER = {
    "royal-mail": "royalmail",
    "la-poste-colissimo": "colissimo",
    "dhl-germany": "dhl",
    "dhl-global-mail": "dhl",
    "dpd-uk": "dpd",
    "fedex-uk": "fedex",
    "ups-mi": "ups",
}


def carriers_for_slug(slug: str) -> tuple[str, ...]:
    """The carrier codes a shipment AfterShip reports under ``slug`` may be filed under."""
    slug = slug.strip().lower()
    if not slug:
        return ()
    mapped = SLUG_TO_CARRIER.get(slug)
    return (slug, mapped) if mapped else (slug,)


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
        carriers = carriers_for_slug(str(msg.get("slug") or ""))
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
                carriers=carriers,
            )
            for c in checkpoints
        ]
        if events and eta:
            events[-1].estimated_delivery = eta  # the ETA belongs to the tracking as of its latest checkpoint
        return events
