"""Inbound texts through the providers' signed webhooks: STOP/START/HELP change consent (logged)
and answer once (through the pipeline, from the number and provider the text came to), RESCHEDULE
and CALL ME open requests, anything else lands in the inbox."""

import pytest
from twilio.request_validator import RequestValidator

from notifications.models import CallbackRequest, Delivery, InboundMessage, RescheduleRequest
from notifications.services.inbound import classify
from preferences.models import ChannelConsent, ConsentLog
from tests.sms.conftest import TWILIO_TOKEN, customer_with_shipment, run_pipeline, scan, signed_vonage

pytestmark = pytest.mark.django_db
INBOUND_URL = "/webhooks/vonage/sms/inbound/"
OUR_NUMBER = "447700900000"


def vonage_inbound(client, customer, text, message_id):
    params = {
        "msisdn": customer.phone.lstrip("+"),
        "to": OUR_NUMBER,
        "messageId": message_id,
        "text": text,
        "type": "text",
        "keyword": text.split()[0].upper() if text else "",
        "api-key": "key",
        "message-timestamp": "2026-01-01 12:00:00",
    }
    return client.post(INBOUND_URL, signed_vonage(params))


def replies(fake_vonage):
    return [r.body for r in fake_vonage.sent("/sms/json") if r.body["from"] == OUR_NUMBER]


@pytest.mark.parametrize(
    "text,kind",
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        (" Stop. ", "stop"),
        ("opt out", "stop"),
        ("UNSUBSCRIBE", "stop"),
        ("baja", "stop"),
        ("Arrêt", "stop"),
        ("ARRET", "stop"),
        ("STOPALL", "stop"),
        ("start", "start"),
        ("UNSTOP", "start"),
        ("help", "help"),
        ("Reschedule", "reschedule"),
        ("call me", "call_me"),
        ("Llámame", "call_me"),
        ("stop sending me ads please", "other"),
        ("where is my parcel?", "other"),
    ],
)
def test_keywords(text, kind):
    assert classify(text) == kind


def test_stop_opts_out_once_then_start_restores(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    # given a customer who received a shipment SMS
    customer, shipment = customer_with_shipment(phone="+33612349001", country="FR", language="en")
    scan(shipment, "shipped")
    run_pipeline()
    assert Delivery.objects.filter(channel="sms", status="sent").count() == 1

    # when they text STOP (and Vonage delivers the same inbound twice)
    with django_capture_on_commit_callbacks(execute=True):
        first = vonage_inbound(client, customer, "Stop", "in-0001")
    with django_capture_on_commit_callbacks(execute=True):
        again = vonage_inbound(client, customer, "Stop", "in-0001")
    run_pipeline()

    # then SMS consent is withdrawn, logged once, and exactly one confirmation went out from our number
    assert (first.status_code, again.status_code) == (204, 204)
    assert ChannelConsent.objects.get(customer=customer, channel="sms").state == "opted_out"
    log = ConsentLog.objects.get(customer=customer)
    assert (log.channel, log.old_state, log.new_state, log.source) == ("sms", "", "opted_out", "sms_keyword")
    assert log.reference == "vonage:in-0001"
    [reply] = replies(fake_vonage)
    assert reply["to"] == "33612349001" and "unsubscribed" in reply["text"]
    assert InboundMessage.objects.get().reply.status == "sent"

    # and a later shipment update is not texted, while its email still goes
    scan(shipment, "out_for_delivery")
    run_pipeline()
    assert Delivery.objects.filter(channel="sms", notification__subject_key__startswith="shipment:").count() == 1
    later = customer.notifications.get(notification_type__key="shipment_out_for_delivery")
    assert later.skipped.get("sms") and later.deliveries.get(channel="email").status == "delivered"

    # when they text START
    with django_capture_on_commit_callbacks(execute=True):
        vonage_inbound(client, customer, "START", "in-0002")

    # then SMS is back (logged), and the next update is texted again
    assert ChannelConsent.objects.get(customer=customer, channel="sms").state == "opted_in"
    assert ConsentLog.objects.filter(customer=customer).count() == 2
    scan(shipment, "delivered")
    run_pipeline()
    assert (
        Delivery.objects.filter(
            channel="sms", notification__notification_type__key="shipment_delivered", status="sent"
        ).count()
        == 1
    )


def test_stop_also_stops_texts_planned_before_it(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    # given an SMS planned but not sent yet
    customer, shipment = customer_with_shipment(phone="+33612349002", country="FR")
    scan(shipment, "shipped")
    from notifications.models import Event
    from notifications.services.planning import event_process

    for event_id in Event.objects.filter(processed_at__isnull=True).values_list("id", flat=True):
        event_process(event_id=event_id)
    sms = Delivery.objects.get(channel="sms")

    # when STOP arrives before it goes
    with django_capture_on_commit_callbacks(execute=True):
        vonage_inbound(client, customer, "STOP", "in-0003")
    run_pipeline()

    # then it is never sent (only the confirmation is)
    sms.refresh_from_db()
    assert sms.status == "suppressed" and "no consent" in sms.error
    assert len(fake_vonage.sent("/sms/json")) == 1


def test_help_replies_with_brand_support_and_rates(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    customer, _shipment = customer_with_shipment(phone="+33612349003", country="FR", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        vonage_inbound(client, customer, "HELP", "in-0004")
    run_pipeline()
    [reply] = replies(fake_vonage)
    assert customer.brand.name in reply["text"] and customer.brand.support_email in reply["text"]
    assert "Msg & data rates may apply" in reply["text"] and "frequency" in reply["text"]
    assert not ConsentLog.objects.exists()


def test_reschedule_call_me_and_free_text(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    # given a customer texted about their shipment
    customer, shipment = customer_with_shipment(phone="+33612349004", country="FR", language="en")
    scan(shipment, "shipped")
    run_pipeline()

    # when they reply RESCHEDULE, CALL ME and a question
    for text, message_id in (
        ("reschedule", "in-0005"),
        ("CALL ME", "in-0006"),
        ("Can you leave it with my neighbour?", "in-0007"),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            vonage_inbound(client, customer, text, message_id)
        run_pipeline()

    # then a reschedule request for that shipment (reply with the carrier link), a callback request,
    # and an inbox message with an acknowledgement
    request = RescheduleRequest.objects.get()
    assert request.shipment_id == shipment.pk and request.customer == customer
    assert CallbackRequest.objects.get().phone == customer.phone
    inbox = InboundMessage.objects.get(kind="other")
    assert inbox.customer == customer and inbox.handled_at is None
    texts = [r["text"] for r in replies(fake_vonage)]
    assert len(texts) == 3 and shipment.tracking_url in texts[0] and "call you back" in texts[1]


def test_inbound_with_a_bad_signature_changes_nothing(client, sms_providers, instant, fake_vonage):
    customer, _shipment = customer_with_shipment(phone="+33612349005", country="FR")
    params = signed_vonage(
        {"msisdn": customer.phone.lstrip("+"), "to": OUR_NUMBER, "messageId": "in-x", "text": "STOP"},
        secret="someone-else-entirely-0123456789abcd",
    )
    assert client.post(INBOUND_URL, params).status_code == 401
    assert not InboundMessage.objects.exists() and not ChannelConsent.objects.exists()


def test_twilio_inbound_stop(client, sms_providers, instant, fake_twilio, django_capture_on_commit_callbacks):
    # given a customer and Twilio's signed inbound STOP
    sms_providers.SMS_ROUTES = "*=twilio"
    customer, _shipment = customer_with_shipment(phone="+14155559001", country="US")
    params = {
        "MessageSid": "SMin0001",
        "From": customer.phone,
        "To": "+12025550100",
        "Body": "stop",
        "AccountSid": "AC0123456789",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature("http://testserver/webhooks/twilio/inbound/", params)

    # when it is posted (unsigned first)
    unsigned = client.post("/webhooks/twilio/inbound/", params)
    with django_capture_on_commit_callbacks(execute=True):
        signed = client.post("/webhooks/twilio/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature)
    run_pipeline()

    # then only the signed one opts out, and the confirmation goes through Twilio from our number
    assert (unsigned.status_code, signed.status_code) == (403, 200)
    assert ChannelConsent.objects.get(customer=customer, channel="sms").state == "opted_out"
    [reply] = fake_twilio.sent()
    assert reply.body["To"] == customer.phone and reply.body["From"] == "+12025550100"


def test_answers_leave_a_delivery_and_attempt_in_the_customers_timeline(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    from console.selectors import customer_timeline

    # given a known customer
    customer, _shipment = customer_with_shipment(phone="+33612349010", country="FR", language="en")

    # when they text STOP, then HELP, and the pipeline sends the answers
    for text, message_id in (("STOP", "in-0010"), ("HELP", "in-0011")):
        with django_capture_on_commit_callbacks(execute=True):
            vonage_inbound(client, customer, text, message_id)
    run_pipeline()

    # then each answer is an sms_reply notification of theirs, with a delivery and an accepted attempt
    # through Vonage (the provider the text came in by), all shown in their timeline
    shown = {(e["kind"], e["pk"]) for e in customer_timeline(customer_id=customer.pk)}
    for inbound in InboundMessage.objects.order_by("pk"):
        answer = inbound.reply
        delivery = answer.deliveries.get()
        attempt = delivery.attempts.get()
        assert (answer.notification_type.key, answer.customer, answer.event.type) == (
            "sms_reply",
            customer,
            f"inbound.{inbound.kind}",
        )
        assert (delivery.to, delivery.status, attempt.provider, attempt.outcome) == (
            customer.phone,
            "sent",
            "vonage",
            "accepted",
        )
        assert {("notification", answer.pk), ("delivery", delivery.pk), ("attempt", attempt.pk)} <= shown
    # the HELP answer went although they had just opted out: answers to their own texts always go
    stop_answer, help_answer = replies(fake_vonage)
    assert "unsubscribed" in stop_answer["text"] and "Msg & data rates may apply" in help_answer["text"]


def test_an_unknown_number_still_gets_its_answer(
    client, sms_providers, instant, fake_vonage, django_capture_on_commit_callbacks
):
    # given a number no customer has
    params = {
        "msisdn": "33612349099",
        "to": OUR_NUMBER,
        "messageId": "in-0020",
        "text": "HELP",
        "type": "text",
        "api-key": "key",
        "message-timestamp": "2026-01-01 12:00:00",
    }

    # when it texts HELP and the pipeline runs
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(INBOUND_URL, signed_vonage(params)).status_code == 204
    run_pipeline()

    # then the answer went back from our number, as a notification of no customer with its delivery and attempt
    [reply] = replies(fake_vonage)
    assert reply["to"] == "33612349099" and "Msg & data rates may apply" in reply["text"]
    answer = InboundMessage.objects.get().reply
    delivery = answer.deliveries.get()
    assert answer.customer is None and answer.notification_type.key == "sms_reply"
    assert (delivery.to, delivery.status, delivery.attempts.get().outcome) == ("+33612349099", "sent", "accepted")


def test_an_answer_the_provider_did_not_take_is_retried_through_the_same_provider(
    client, sms_providers, instant, fake_vonage, fake_twilio, django_capture_on_commit_callbacks
):
    # given Vonage throttling the next request
    customer, _shipment = customer_with_shipment(phone="+33612349030", country="FR", language="en")
    fake_vonage.answer_next("throttled")

    # when the customer texts STOP and the pipeline runs
    with django_capture_on_commit_callbacks(execute=True):
        vonage_inbound(client, customer, "STOP", "in-0030")
    run_pipeline()

    # then the answer was sent again, through Vonage again (not the next SMS route), and taken once
    delivery = InboundMessage.objects.get().reply.deliveries.get()
    attempts = list(delivery.attempts.order_by("number").values_list("provider", "outcome"))
    assert attempts == [("vonage", "transient"), ("vonage", "accepted")] and delivery.status == "sent"
    throttled, taken = replies(fake_vonage)
    assert throttled == taken and "unsubscribed" in taken["text"] and not fake_twilio.sent()
    assert fake_vonage.ledger.count(str(delivery.pk)) == 1
