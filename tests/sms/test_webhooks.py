"""Delivery-receipt webhooks in each provider's documented format: Vonage SMS DLRs (signed
parameters), Vonage Messages status (JWT HS256 with payload_hash), Twilio status callbacks
(X-Twilio-Signature). Signed right and wrong, replayed, out of order."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from twilio.request_validator import RequestValidator

from catalogue.models import Rule
from notifications.models import Delivery, ProviderEvent
from tests.sms.conftest import (
    TWILIO_TOKEN,
    customer_with_shipment,
    messages_jwt,
    run_pipeline,
    scan,
    signed_vonage,
)

pytestmark = pytest.mark.django_db
DLR_URL = "/webhooks/vonage/sms/dlr/"


@pytest.fixture
def sent_sms(sms_providers, instant, fake_vonage):
    _customer, shipment = customer_with_shipment(phone="+33612340001", country="FR")
    scan(shipment, "shipped")
    run_pipeline()
    return Delivery.objects.get(channel="sms")


def dlr(delivery, status="delivered", **extra):
    return {
        "msisdn": delivery.to.lstrip("+"),
        "to": "WAYPOST",
        "network-code": "20801",
        "messageId": delivery.provider_message_id,
        "price": "0.03330000",
        "status": status,
        "scts": "2601011200",
        "err-code": "0" if status == "delivered" else "5",
        "api-key": "key",
        "client-ref": str(delivery.pk),
        "message-timestamp": "2026-01-01 12:00:00",
        **extra,
    }


def test_signed_dlr_marks_the_sms_delivered(client, sent_sms):
    # given a sent SMS and Vonage's signed "delivered" receipt
    # when it is posted
    response = client.post(DLR_URL, signed_vonage(dlr(sent_sms)))

    # then the delivery is delivered, with the time of the receipt and the price
    assert response.status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == Delivery.Status.DELIVERED and sent_sms.receipt_at is not None
    assert sent_sms.cost == Decimal("0.0333") and sent_sms.provider_status == "delivered"


@pytest.mark.parametrize("tamper", ["wrong_secret", "changed_param", "no_sig", "stale"])
def test_badly_signed_dlr_is_rejected_and_changes_nothing(client, sent_sms, tamper):
    # given a receipt signed wrongly (or too old)
    params = dlr(sent_sms)
    if tamper == "wrong_secret":
        body = signed_vonage(params, secret="not-the-secret")
    elif tamper == "changed_param":
        body = {**signed_vonage(params), "status": "failed"}
    elif tamper == "no_sig":
        body = {k: v for k, v in signed_vonage(params).items() if k != "sig"}
    else:
        body = signed_vonage({**params, "timestamp": str(int(time.time()) - 3600)})

    # when it is posted
    response = client.post(DLR_URL, body)

    # then it is rejected and nothing changed
    assert response.status_code == 401
    sent_sms.refresh_from_db()
    assert sent_sms.status == Delivery.Status.SENT and not ProviderEvent.objects.exists()


def test_sha256_hmac_signatures_are_accepted_when_configured(client, sent_sms, settings):
    # given the account signs with SHA-256 HMAC
    settings.VONAGE_SIGNATURE_METHOD = "sha256"

    # when a receipt signed that way arrives
    response = client.post(DLR_URL, signed_vonage(dlr(sent_sms), method="sha256"))

    # then it is accepted
    assert response.status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == Delivery.Status.DELIVERED


def test_replayed_and_out_of_order_receipts(client, sent_sms):
    # given a delivered receipt already applied
    first = signed_vonage(dlr(sent_sms))
    client.post(DLR_URL, first)
    sent_sms.refresh_from_db()
    delivered_at = sent_sms.delivered_at

    # when the same receipt is replayed (re-signed, as Vonage's retry is) and a late "accepted" arrives
    client.post(DLR_URL, signed_vonage(dlr(sent_sms)))
    client.post(DLR_URL, signed_vonage(dlr(sent_sms, status="accepted")))
    client.post(DLR_URL, signed_vonage(dlr(sent_sms, status="failed")))

    # then the duplicate is ignored and the status never moves backwards
    sent_sms.refresh_from_db()
    assert sent_sms.status == Delivery.Status.DELIVERED and sent_sms.delivered_at == delivered_at
    assert ProviderEvent.objects.filter(event_id__endswith=":delivered").count() == 1
    assert not ProviderEvent.objects.get(event_id__endswith=":failed").applied


def test_a_failed_sms_falls_back_to_email(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    # given a fallback plan SMS -> email and a sent SMS
    Rule.objects.filter(event_type="shipment.shipped").update(mode="fallback", channels=["sms", "email"])
    _customer, shipment = customer_with_shipment(phone="+33612340002", country="FR")
    scan(shipment, "shipped")
    run_pipeline()
    sms = Delivery.objects.get(channel="sms")
    assert not Delivery.objects.filter(channel="email", notification=sms.notification).exists()

    # when Vonage reports it failed (found by client-ref)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(DLR_URL, signed_vonage(dlr(sms, status="failed")))

    # then the SMS failed and an email delivery is queued on commit (exactly one callback)
    assert response.status_code == 204 and len(callbacks) == 1
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.FAILED
    assert Delivery.objects.filter(channel="email", notification=sms.notification).count() == 1


def test_dlr_without_client_ref_is_found_by_message_id(client, sent_sms):
    params = {k: v for k, v in dlr(sent_sms).items() if k != "client-ref"}
    assert client.post(DLR_URL, signed_vonage(params)).status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == Delivery.Status.DELIVERED


def test_malformed_dlr_is_a_400(client, sent_sms):
    assert client.post(DLR_URL, signed_vonage({"status": "delivered"})).status_code == 400
    assert client.post(DLR_URL, data=b"{not json", content_type="application/json").status_code == 400


# --- Vonage Messages API status (JWT) ---------------------------------------------------------


def _messages_status(delivery, status="delivered", timestamp="2026-01-01T12:00:00Z", channel="sms"):
    return json.dumps(
        {
            "message_uuid": delivery.provider_message_id,
            "to": delivery.to.lstrip("+"),
            "from": "WAYPOST",
            "timestamp": timestamp,
            "status": status,
            "client_ref": str(delivery.pk),
            "channel": channel,
            "usage": {"currency": "EUR", "price": "0.0333"},
        }
    ).encode()


def _post_messages_status(client, body):
    return client.post(
        "/webhooks/vonage/messages/status/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {messages_jwt(body)}",
    )


@pytest.mark.parametrize(
    "how,expected", [("right", 204), ("wrong_secret", 401), ("wrong_hash", 401), ("stale", 401), ("missing", 401)]
)
def test_messages_status_webhook_checks_the_jwt(client, sent_sms, how, expected):
    # given a Messages API status for the delivery, with a JWT made right or wrong
    body = _messages_status(sent_sms)
    token = {
        "right": lambda: messages_jwt(body),
        "wrong_secret": lambda: messages_jwt(body, secret="not-the-secret-but-just-as-long-0123456789"),
        "wrong_hash": lambda: messages_jwt(body, payload_hash="0" * 64),
        "stale": lambda: messages_jwt(body, iat=time.time() - 3600),
        "missing": lambda: "",
    }[how]()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    # when it is posted
    response = client.post("/webhooks/vonage/messages/status/", data=body, content_type="application/json", **headers)

    # then only the right one moves the delivery
    assert response.status_code == expected
    sent_sms.refresh_from_db()
    assert sent_sms.status == (Delivery.Status.DELIVERED if expected == 204 else Delivery.Status.SENT)


# --- Twilio status callbacks ------------------------------------------------------------------


def test_twilio_status_callback_signed_and_unsigned(client, sms_providers, instant, fake_twilio):
    # given an SMS sent through Twilio
    sms_providers.SMS_ROUTES = "*=twilio"
    _customer, shipment = customer_with_shipment(phone="+33612340003", country="FR")
    scan(shipment, "shipped")
    run_pipeline()
    sms = Delivery.objects.get(channel="sms")
    url = "http://testserver/webhooks/twilio/status/"
    params = {
        "MessageSid": sms.provider_message_id,
        "MessageStatus": "delivered",
        "To": sms.to,
        "AccountSid": "AC0123456789",
    }

    # when an unsigned and a wrongly signed callback arrive, then a signed one
    bad = client.post("/webhooks/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE="bogus")
    unsigned = client.post("/webhooks/twilio/status/", params)
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    good = client.post("/webhooks/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE=signature)

    # then only the signed one counts
    assert (bad.status_code, unsigned.status_code, good.status_code) == (403, 403, 204)
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.DELIVERED and sms.provider == "twilio"


# --- Receipt times and read receipts ----------------------------------------------------------


def test_a_vonage_sms_receipt_is_timed_when_it_arrives_not_by_the_carriers_clock(client, sent_sms):
    # given a receipt whose carrier timestamps (scts, message-timestamp) say 2025
    params = dlr(sent_sms, scts="2501011200", **{"message-timestamp": "2025-01-01 12:00:00"})

    # when it arrives
    before = timezone.now()
    client.post(DLR_URL, signed_vonage(params))

    # then the delivery was delivered when the receipt reached us; the carrier's stamp is kept raw
    sent_sms.refresh_from_db()
    assert before <= sent_sms.delivered_at <= timezone.now()
    assert sent_sms.delivered_at == sent_sms.receipt_at
    assert ProviderEvent.objects.get().payload["scts"] == "2501011200"


def test_vonage_messages_time_is_kept_when_plausible(client, sent_sms):
    # given a Messages API status stamped by Vonage 20 seconds ago
    stamped = (timezone.now() - timedelta(seconds=20)).replace(microsecond=0)
    _post_messages_status(client, _messages_status(sent_sms, timestamp=stamped.isoformat().replace("+00:00", "Z")))

    # then the delivery was delivered at Vonage's time
    sent_sms.refresh_from_db()
    assert sent_sms.delivered_at == stamped


def test_vonage_messages_time_before_the_delivery_existed_is_not_believed(client, sent_sms):
    before = timezone.now()
    _post_messages_status(client, _messages_status(sent_sms, timestamp="2025-03-01T12:00:00Z"))
    sent_sms.refresh_from_db()
    assert sent_sms.delivered_at >= before


def test_a_whatsapp_read_receipt_records_the_read_and_the_delivery(client, sent_sms):
    # given a sent message and Vonage's "read" status (no "delivered" before it)
    # when it arrives
    response = _post_messages_status(client, _messages_status(sent_sms, status="read", channel="whatsapp"))

    # then the delivery is delivered and read, and a late "delivered" changes neither
    assert response.status_code == 204
    sent_sms.refresh_from_db()
    assert sent_sms.status == Delivery.Status.DELIVERED and sent_sms.read_at is not None
    read_at = sent_sms.read_at
    _post_messages_status(client, _messages_status(sent_sms, status="delivered", channel="whatsapp"))
    sent_sms.refresh_from_db()
    assert (sent_sms.status, sent_sms.read_at, sent_sms.provider_status) == (Delivery.Status.DELIVERED, read_at, "read")
    assert ProviderEvent.objects.get(kind="read").applied


def test_a_twilio_read_status_after_delivered_records_the_read(client, sms_providers, instant, fake_twilio):
    # given an SMS sent through Twilio and delivered
    sms_providers.SMS_ROUTES = "*=twilio"
    _customer, shipment = customer_with_shipment(phone="+33612340004", country="FR")
    scan(shipment, "shipped")
    run_pipeline()
    sms = Delivery.objects.get(channel="sms")
    url = "http://testserver/webhooks/twilio/status/"

    def post(status):
        params = {"MessageSid": sms.provider_message_id, "MessageStatus": status, "To": sms.to, "AccountSid": "AC1"}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        return client.post("/webhooks/twilio/status/", params, HTTP_X_TWILIO_SIGNATURE=signature)

    # when Twilio reports it delivered, then read
    assert (post("delivered").status_code, post("read").status_code) == (204, 204)

    # then it is delivered, and read after
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.DELIVERED
    assert sms.read_at is not None and sms.read_at >= sms.delivered_at
