"""DHL-style tracking API (Shipment Tracking - Unified), polled: ``GET <base_url>/track/shipments
?trackingNumber=<n>`` with header ``DHL-API-Key``, one tracking number per request::

    {"shipments": [{"id": "00340434292135100186", "service": "express",
                    "estimatedTimeOfDelivery": "2025-05-03T18:00:00Z",
                    "status": {"timestamp": "...", "statusCode": "transit", "status": "...", ...},
                    "events": [{"timestamp": "2025-05-01T10:00:00Z", "statusCode": "transit",
                                "status": "PROCESSED AT LOCATION", "description": "Processed at Leipzig",
                                "location": {"address": {"addressLocality": "Leipzig, DE"}}}]}]}

A 404 means DHL does not know the number yet (no events, not a failure). The code is the
event's ``statusCode`` (pre-transit, transit, delivered, failure, unknown).
"""

from intake.carriers.base import CarrierAdapter, CarrierEvent, check_response, parse_time, register


@register
class DHLAdapter(CarrierAdapter):
    name = "dhl"
    signature_header = ""
    default_mappings = {
        "pre-transit": "label_created",
        "transit": "in_transit",
        "delivered": "delivered",
        "failure": "delivery_exception",
        "unknown": "",
    }
    batch_size = 1

    def verify(self, *, body, headers, secret):
        return False  # DHL pushes nothing here: polled only

    def parse_webhook(self, payload):
        return self._events(payload)

    def fetch(self, *, session, account, tracking_numbers):
        events = []
        for number in tracking_numbers:
            response = session.get(
                f"{account.base_url.rstrip('/')}/track/shipments",
                params={"trackingNumber": number},
                headers={"DHL-API-Key": account.api_key},
                timeout=account.timeout_seconds,
            )
            if response.status_code == 404:
                continue
            events.extend(self._events(check_response(response)))
        return events

    def _events(self, body):
        events = []
        for shipment in body.get("shipments", []):
            eta = parse_time(shipment.get("estimatedTimeOfDelivery"))
            items = sorted(shipment.get("events", []), key=lambda e: e.get("timestamp", ""))
            for item in items:
                address = (item.get("location") or {}).get("address") or {}
                events.append(
                    CarrierEvent(
                        tracking_number=str(shipment["id"]),
                        code=str(item.get("statusCode", "")),
                        occurred_at=parse_time(item["timestamp"]),
                        description=str(item.get("description") or item.get("status") or "")[:300],
                        location=str(address.get("addressLocality", ""))[:200],
                        raw=item,
                    )
                )
            if events and eta:
                events[-1].estimated_delivery = eta
        return events
