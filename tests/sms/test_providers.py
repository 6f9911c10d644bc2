"""The real vonage and twilio SDKs against fake servers on 127.0.0.1: what they receive, and how
throttling, server errors and invalid numbers drive retry, provider failover and channel fallback."""

from decimal import Decimal

import pytest

from catalogue.models import Rule
from notifications.models import Delivery, DeliveryAttempt
from tests.sms.conftest import US_NUMBER, customer_with_shipment, run_pipeline, scan

pytestmark = pytest.mark.django_db


def _sms_deliveries():
    return Delivery.objects.filter(channel="sms")


def test_vonage_receives_the_sms_with_sender_text_and_client_ref(sms_providers, instant, fake_vonage, fake_twilio):
    # given a French customer (alphanumeric sender allowed) whose shipment ships
    customer, shipment = customer_with_shipment(phone="+33612345678", country="FR", language="fr")
    scan(shipment, "shipped")

    # when the pipeline runs
    run_pipeline()

    # then Vonage got exactly one SMS: the brand's sender id, the French text, the delivery id as client-ref
    delivery = _sms_deliveries().get()
    [request] = fake_vonage.sent("/sms/json")
    assert request.body["to"] == "33612345678"
    assert request.body["from"] == customer.brand.sms_sender_id
    assert request.body["client-ref"] == str(delivery.pk)
    assert customer.brand.name in request.body["text"] and "a été expédiée" in request.body["text"]
    assert request.body["type"] == "text"  # é, à are GSM-7
    assert "Répondez STOP" in request.body["text"]  # France: the STOP footer on the first text
    assert request.headers["Authorization"].startswith("Basic ")
    assert fake_twilio.sent() == []
    # and the delivery is sent, with Vonage's message id and price
    assert delivery.status == Delivery.Status.SENT and delivery.provider == "vonage"
    assert delivery.provider_message_id == request.answer["messages"][0]["message-id"]
    assert delivery.cost == Decimal("0.0333")


def test_us_numbers_are_sent_from_a_number_not_an_alphanumeric_id(sms_providers, instant, fake_vonage):
    # given a US customer
    _customer, shipment = customer_with_shipment(phone="+14155550123", country="US")
    scan(shipment, "shipped")

    # when the pipeline runs
    run_pipeline()

    # then the sender is the configured US number (Vonage wants it without +) and the STOP footer is there
    [request] = fake_vonage.sent("/sms/json")
    assert request.body["from"] == US_NUMBER.lstrip("+")
    assert "Reply STOP to opt out" in request.body["text"]


def test_throttled_then_next_provider(sms_providers, instant, fake_vonage, fake_twilio):
    # given Vonage answers the first request "Throttled" (status 1)
    fake_vonage.answer_next("throttled")
    _customer, shipment = customer_with_shipment(phone="+33612345679", country="FR")
    scan(shipment, "shipped")

    # when the pipeline runs (the retry is due at once: time scale 0)
    run_pipeline()

    # then the retry went through Twilio: two attempts, one per provider, one SMS accepted
    delivery = _sms_deliveries().get()
    attempts = list(delivery.attempts.order_by("number").values_list("provider", "outcome", "error_code"))
    assert attempts == [("vonage", "transient", "vonage_1"), ("twilio", "accepted", "")]
    assert len(fake_vonage.sent("/sms/json")) == 1 and len(fake_twilio.sent()) == 1
    assert fake_twilio.sent()[0].body["To"] == "+33612345679"
    assert delivery.status == Delivery.Status.SENT and delivery.provider == "twilio"


def test_vonage_down_every_sms_goes_through_twilio_once(sms_providers, instant, fake_vonage, fake_twilio):
    # given Vonage answers 500 to everything, and five customers' shipments ship
    fake_vonage.mode = "error500"
    for i in range(5):
        _customer, shipment = customer_with_shipment(phone=f"+3361234{i:04d}", country="FR")
        scan(shipment, "shipped")

    # when the pipeline runs
    run_pipeline()

    # then every SMS was accepted by Twilio exactly once, none twice, each after one Vonage failure
    deliveries = list(_sms_deliveries())
    assert len(deliveries) == 5 and {d.status for d in deliveries} == {Delivery.Status.SENT}
    to_twilio = [r.body["To"] for r in fake_twilio.sent()]
    assert sorted(to_twilio) == sorted(d.to for d in deliveries)  # one each
    assert DeliveryAttempt.objects.filter(delivery__channel="sms", outcome="accepted").count() == 5
    assert set(
        DeliveryAttempt.objects.filter(delivery__channel="sms", provider="vonage").values_list("outcome", flat=True)
    ) == {"transient"}


def test_invalid_number_fails_to_the_next_channel_at_once(sms_providers, instant, fake_vonage, fake_twilio):
    # given the shipped rule falls back SMS -> email, and a number Vonage calls invalid (status 3)
    Rule.objects.filter(event_type="shipment.shipped").update(mode="fallback", channels=["sms", "email"])
    _customer, shipment = customer_with_shipment(phone="+15005550006", country="US")
    scan(shipment, "shipped")

    # when the pipeline runs
    run_pipeline()

    # then one Vonage call, no failover to Twilio, and the email went instead
    assert len(fake_vonage.sent("/sms/json")) == 1 and fake_twilio.sent() == []
    sms = _sms_deliveries().get()
    assert sms.status == Delivery.Status.FAILED and "vonage_3" in sms.error
    assert Delivery.objects.filter(channel="email", notification=sms.notification).exists()


def test_twilio_first_for_us_and_invalid_mobile_is_permanent(sms_providers, instant, fake_vonage, fake_twilio):
    # given US routes to Twilio first, and Twilio says the number is not a mobile (21614)
    sms_providers.SMS_ROUTES = "US,CA=twilio,vonage;*=vonage,twilio"
    fake_twilio.answer_next("not_mobile")
    _customer, shipment = customer_with_shipment(phone="+14155550124", country="US")
    scan(shipment, "shipped")

    # when the pipeline runs
    run_pipeline()

    # then Twilio was asked once with the US sender number and a status callback; no Vonage call
    [request] = fake_twilio.sent()
    assert request.body["From"] == US_NUMBER
    sms = _sms_deliveries().get()
    assert request.body["StatusCallback"] == f"http://testserver/webhooks/twilio/status/?delivery={sms.pk}"
    assert fake_vonage.sent() == []
    assert sms.status == Delivery.Status.DEAD and "twilio_21614" in sms.error  # "all" mode: no fallback left


def test_unicode_text_is_sent_as_unicode(sms_providers, instant, fake_vonage):
    # given an SMS template with an emoji
    from catalogue.models import Template

    Template.objects.filter(notification_type__key="shipment_shipped", channel="sms").update(
        body_text_en="{{ brand.name }}: your order is on its way 🚚"
    )
    _customer, shipment = customer_with_shipment(phone="+447700900123", country="GB", language="en")
    scan(shipment, "shipped")

    # when the pipeline runs
    run_pipeline()

    # then Vonage is told the text is unicode
    [request] = fake_vonage.sent("/sms/json")
    assert request.body["type"] == "unicode" and request.body["text"].endswith("🚚")
