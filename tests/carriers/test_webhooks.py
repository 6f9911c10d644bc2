"""Carrier webhooks in Waypost's normalized format and AfterShip's format: verified, stored raw,
processed into shipment events through the per-carrier status mapping (editable); a late event
is stored but not applied."""

import json

import pytest

from intake.models import CarrierAccount, CarrierStatusMapping, IntakeRecord
from intake.services import intake_record_process
from notifications.models import Event
from tests.intake.samples import b64_hmac, hex_hmac

pytestmark = pytest.mark.django_db
SECRET = "carrier-secret"


def process_all():
    return [
        intake_record_process(record_id=pk)
        for pk in IntakeRecord.objects.filter(status="received").order_by("id").values_list("id", flat=True)
    ]


def aftership(number, *checkpoints, eta=None, slug="ups"):
    return {
        "event": "tracking_update",
        "ts": 1714557600,
        "msg": {
            "tracking_number": number,
            "slug": slug,
            "tag": checkpoints[-1][0],
            "expected_delivery": eta,
            "checkpoints": [
                {
                    "checkpoint_time": at,
                    "tag": tag,
                    "subtag": f"{tag}_001",
                    "message": tag,
                    "location": "Memphis, TN, US",
                }
                for tag, at in checkpoints
            ],
        },
    }


def test_aftership_webhook_signed_moves_the_shipment_mis_signed_is_refused(client, shipment_of):
    CarrierAccount.objects.create(carrier="ups", adapter="aftership", webhook_secret=SECRET, has_webhooks=True)
    shipment = shipment_of(carrier="ups", number="1ZAFTER")
    body = json.dumps(
        aftership(
            "1ZAFTER", ("InTransit", "2025-05-01T10:00:00+00:00"), ("OutForDelivery", "2025-05-02T07:00:00+00:00")
        )
    ).encode()

    bad = client.generic(
        "POST",
        "/webhooks/carriers/ups/",
        body,
        content_type="application/json",
        HTTP_AFTERSHIP_HMAC_SHA256=b64_hmac("wrong", body),
    )
    assert bad.status_code == 401 and IntakeRecord.objects.count() == 0

    good = client.generic(
        "POST",
        "/webhooks/carriers/ups/",
        body,
        content_type="application/json",
        HTTP_AFTERSHIP_HMAC_SHA256=b64_hmac(SECRET, body),
    )
    assert good.status_code == 202
    [record] = process_all()
    assert record.status == "processed" and record.result["applied"] == 2
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"

    # the next update repeats the old checkpoints: only the new one counts
    again = json.dumps(
        aftership(
            "1ZAFTER",
            ("InTransit", "2025-05-01T10:00:00+00:00"),
            ("OutForDelivery", "2025-05-02T07:00:00+00:00"),
            ("Delivered", "2025-05-02T15:00:00+00:00"),
        )
    ).encode()
    client.generic(
        "POST",
        "/webhooks/carriers/ups/",
        again,
        content_type="application/json",
        HTTP_AFTERSHIP_HMAC_SHA256=b64_hmac(SECRET, again),
    )
    [record] = process_all()
    assert (record.result["duplicate"], record.result["applied"]) == (2, 1)
    shipment.refresh_from_db()
    assert shipment.status == "delivered"


def post_aftership(client, url, payload):
    body = json.dumps(payload).encode()
    return client.generic(
        "POST", url, body, content_type="application/json", HTTP_AFTERSHIP_HMAC_SHA256=b64_hmac(SECRET, body)
    )


def test_one_aftership_account_moves_the_shipments_of_every_carrier_it_reports(client, shipment_of):
    # given one AfterShip account posting to /webhooks/carriers/aftership/, and a DHL, a UPS and a
    # Royal Mail shipment (filed under Waypost's code, royalmail)
    CarrierAccount.objects.create(carrier="aftership", adapter="aftership", webhook_secret=SECRET, has_webhooks=True)
    dhl = shipment_of(carrier="dhl", number="JD014600006281230704")
    ups = shipment_of(carrier="ups", number="1ZAS0001")
    royal = shipment_of(carrier="royalmail", number="RM123456785GB")
    url = "/webhooks/carriers/aftership/"

    # when AfterShip posts an update for each, naming the carrier by its slug
    for number, slug, tag in (
        ("JD014600006281230704", "dhl", "InTransit"),
        ("1ZAS0001", "ups", "OutForDelivery"),
        ("RM123456785GB", "royal-mail", "Delivered"),
    ):
        assert (
            post_aftership(client, url, aftership(number, (tag, "2025-05-01T10:00:00+00:00"), slug=slug)).status_code
            == 202
        )
    records = process_all()

    # then each moves its shipment
    assert [(r.status, r.result["applied"], r.result["unknown_shipment"]) for r in records] == [("processed", 1, 0)] * 3
    for shipment, status in ((dhl, "in_transit"), (ups, "out_for_delivery"), (royal, "delivered")):
        shipment.refresh_from_db()
        assert shipment.status == status


def test_aftership_slug_decides_between_carriers_sharing_a_tracking_number(client, shipment_of):
    # given two shipments with the same tracking number at two carriers
    CarrierAccount.objects.create(carrier="aftership", adapter="aftership", webhook_secret=SECRET, has_webhooks=True)
    dhl = shipment_of(carrier="dhl", number="123456789012")
    fedex = shipment_of(carrier="fedex", number="123456789012")

    # when AfterShip reports the FedEx one delivered
    post_aftership(
        client,
        "/webhooks/carriers/aftership/",
        aftership("123456789012", ("Delivered", "2025-05-01T10:00:00+00:00"), slug="fedex"),
    )
    [record] = process_all()

    # then only the FedEx shipment moved; an unknown number stays unknown
    dhl.refresh_from_db()
    fedex.refresh_from_db()
    assert (record.result["applied"], fedex.status, dhl.status) == (1, "delivered", "shipped")
    post_aftership(
        client,
        "/webhooks/carriers/aftership/",
        aftership("NOPE", ("InTransit", "2025-05-01T10:00:00+00:00"), slug="dhl"),
    )
    [unknown] = process_all()
    assert unknown.result["unknown_shipment"] == 1


def test_generic_webhook_uses_the_admin_edited_mapping(client, shipment_of):
    CarrierAccount.objects.create(carrier="acme-post", adapter="generic", webhook_secret=SECRET, has_webhooks=True)
    # this carrier's own code, mapped in the admin
    CarrierStatusMapping.objects.create(carrier="acme-post", code="ZU", status="out_for_delivery")
    shipment = shipment_of(carrier="acme-post", number="AP9")
    body = json.dumps(
        {
            "events": [
                {
                    "tracking_number": "AP9",
                    "code": "ZU",
                    "occurred_at": "2025-05-02T07:00:00Z",
                    "description": "Zustellung",
                },
                {"tracking_number": "UNKNOWN", "code": "delivered", "occurred_at": "2025-05-02T07:00:00Z"},
            ]
        }
    ).encode()
    response = client.generic(
        "POST",
        "/webhooks/carriers/acme-post/",
        body,
        content_type="application/json",
        HTTP_X_WAYPOST_SIGNATURE=f"sha256={hex_hmac(SECRET, body)}",
    )
    assert response.status_code == 202
    [record] = process_all()
    assert record.status == "warning"
    assert [(w["field"], w["rule"]) for w in record.warnings] == [("tracking_number", "unknown_shipment")]
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    assert shipment.events.get().occurred_at.isoformat() == "2025-05-02T07:00:00+00:00"


def post_generic(client, *events):
    body = json.dumps(
        {"events": [{"tracking_number": number, "code": code, "occurred_at": at} for number, code, at in events]}
    ).encode()
    response = client.generic(
        "POST",
        "/webhooks/carriers/acme-post/",
        body,
        content_type="application/json",
        HTTP_X_WAYPOST_SIGNATURE=f"sha256={hex_hmac(SECRET, body)}",
    )
    assert response.status_code == 202


def test_late_exception_by_webhook_is_stored_not_applied_and_writes_no_event(client, shipment_of):
    # given a shipment the carrier reported shipped at 08:00 and out for delivery at 13:00
    CarrierAccount.objects.create(carrier="acme-post", adapter="generic", webhook_secret=SECRET, has_webhooks=True)
    shipment = shipment_of(carrier="acme-post", number="AP10", status="label_created")
    post_generic(
        client, ("AP10", "shipped", "2025-05-01T08:00:00Z"), ("AP10", "out_for_delivery", "2025-05-01T13:00:00Z")
    )
    assert process_all()[0].result["applied"] == 2
    events_before = Event.objects.count()

    # when its exception scan of 11:00 comes in a later webhook
    post_generic(client, ("AP10", "exception", "2025-05-01T11:00:00Z"))
    [record] = process_all()

    # then it is stored but not applied, as late: no move, no outbox event
    assert record.status == "processed"
    assert (record.result["stored"], record.result["applied"]) == (1, 0)
    shipment.refresh_from_db()
    assert shipment.status == "out_for_delivery"
    late = shipment.events.get(status="delivery_exception")
    assert (late.applied, late.not_applied_reason) == (False, "late")
    assert "not_applied" not in late.raw
    assert Event.objects.count() == events_before


def test_unknown_carrier_is_404(client):
    assert client.post("/webhooks/carriers/nope/", {}, content_type="application/json").status_code == 404
