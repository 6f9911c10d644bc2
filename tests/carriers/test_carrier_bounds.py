"""Carrier events whose times are out of bounds (year 1, years ahead, an impossible UTC offset)
change nothing and store nothing; a scan within bounds beside them still applies."""

import json

import pytest

from intake.models import CarrierAccount, IntakeRecord
from intake.services import intake_record_process
from tests.intake.samples import hex_hmac

pytestmark = pytest.mark.django_db
SECRET = "carrier-secret"


def test_scans_with_impossible_times_are_ignored(client, shipment_of):
    # given a generic carrier's shipment
    CarrierAccount.objects.create(carrier="acme-post", adapter="generic", webhook_secret=SECRET, has_webhooks=True)
    shipment = shipment_of(carrier="acme-post", number="AP9")
    events = [
        {"tracking_number": "AP9", "code": "delivered", "occurred_at": "0001-01-01T00:00:00Z"},
        {"tracking_number": "AP9", "code": "delivered", "occurred_at": "2999-01-01T00:00:00Z"},
        {"tracking_number": "AP9", "code": "delivered", "occurred_at": "2026-01-01T00:00:00+19:03"},
        {"tracking_number": "AP9", "code": "in_transit", "occurred_at": "2025-05-02T07:00:00Z"},
    ]
    body = json.dumps({"events": events}).encode()

    # when the carrier posts them and they are processed
    response = client.generic(
        "POST",
        "/webhooks/carriers/acme-post/",
        body,
        content_type="application/json",
        HTTP_X_WAYPOST_SIGNATURE=f"sha256={hex_hmac(SECRET, body)}",
    )
    assert response.status_code == 202
    [record] = [intake_record_process(record_id=r.pk) for r in IntakeRecord.objects.order_by("id")]

    # then only the scan within bounds is stored and applied
    assert (record.result["ignored"], record.result["applied"]) == (3, 1)
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"
    assert [e.occurred_at.year for e in shipment.events.all()] == [2025]
