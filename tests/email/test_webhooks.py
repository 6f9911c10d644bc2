"""Postmark tracking webhooks in Postmark's documented format, posted to anymail's view at
/anymail/postmark/tracking/ with basic auth: they move the delivery forward, count opens, add
suppressions, fall back to SMS after commit; wrong auth and duplicates change nothing."""

import base64
import json

import pytest
from django.test import Client

from channels.models import SandboxMessage
from notifications.models import Delivery, ProviderEvent, Suppression
from preferences.models import ChannelConsent, ConsentLog
from tests.email.conftest import WEBHOOK_SECRET, approved_return, email_delivery, run_pipeline, send_due

pytestmark = pytest.mark.django_db
D = Delivery.Status
URL = "/anymail/postmark/tracking/"


def auth(secret: str = WEBHOOK_SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post(payload: dict, secret: str | None = WEBHOOK_SECRET):
    client = Client(enforce_csrf_checks=True)
    return client.post(
        URL, data=json.dumps(payload), content_type="application/json", **(auth(secret) if secret else {})
    )


def common(delivery: Delivery) -> dict:
    return {
        "MessageStream": "outbound",
        "MessageID": delivery.provider_message_id,
        "Tag": "return_approved",
        "ServerID": 23,
        "Metadata": {"delivery_id": str(delivery.pk), "type": "return_approved"},
    }


def delivery_event(delivery):
    return {
        "RecordType": "Delivery",
        **common(delivery),
        "Recipient": delivery.to,
        "DeliveredAt": "2026-11-20T16:33:54.9070259Z",
        "Details": "Test delivery webhook details",
    }


def hard_bounce(delivery, bounce_id=4323372036854775807):
    return {
        "RecordType": "Bounce",
        **common(delivery),
        "ID": bounce_id,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account does not exist.",
        "Email": delivery.to,
        "From": "orders@brand.example",
        "BouncedAt": "2026-11-20T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Your return",
    }


def open_event(delivery):
    return {
        "RecordType": "Open",
        **common(delivery),
        "FirstOpen": True,
        "Recipient": delivery.to,
        "ReceivedAt": "2026-11-20T16:40:00Z",
        "Platform": "WebMail",
        "ReadSeconds": 5,
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36",
        "OS": {"Name": "OS X 10.7 Lion", "Family": "OS X 10", "Company": "Apple Computer, Inc."},
        "Client": {"Name": "Chrome 35.0.1916.153", "Family": "Chrome", "Company": "Google"},
        "Geo": {"CountryISOCode": "RS", "Country": "Serbia", "City": "Novi Sad"},
    }


def spam_complaint(delivery):
    return {
        "RecordType": "SpamComplaint",
        **common(delivery),
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Description": "The subscriber explicitly marked this message as spam.",
        "Details": "Test spam complaint details",
        "Email": delivery.to,
        "From": "orders@brand.example",
        "BouncedAt": "2026-11-20T16:50:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": False,
        "Subject": "Your return",
    }


@pytest.fixture
def sent(postmark):
    """An approved return whose email Postmark accepted."""
    approved_return()
    run_pipeline()
    delivery = email_delivery("return_approved")
    assert delivery.status == D.SENT and delivery.provider_message_id
    return delivery


def test_delivery_webhook_marks_the_email_delivered(sent):
    # when Postmark reports the delivery
    response = post(delivery_event(sent))

    # then the delivery is delivered, with the receipt recorded
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == D.DELIVERED and sent.provider_status == "delivered" and sent.delivered_at
    event = ProviderEvent.objects.get()
    assert (event.provider, event.kind, event.delivery_id, event.applied) == ("postmark", "delivered", sent.pk, True)


def test_hard_bounce_suppresses_the_address_and_falls_back_to_sms(sent, django_capture_on_commit_callbacks):
    # when Postmark reports a hard bounce
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(hard_bounce(sent))

    # then the email is bounced, the address suppressed, and one SMS fallback queued after commit
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == D.BOUNCED
    suppression = Suppression.objects.get()
    assert (suppression.channel, suppression.address, suppression.reason) == ("email", sent.to, "hard_bounce")
    assert suppression.source == "postmark:4323372036854775807"
    sms = Delivery.objects.get(notification=sent.notification, channel="sms")
    assert sms.status == D.PENDING
    assert len(callbacks) == 1
    # and when the workers send it, the SMS goes out
    send_due()
    sms.refresh_from_db()
    assert sms.status == D.DELIVERED and SandboxMessage.objects.filter(delivery=sms).count() == 1


def test_a_duplicate_webhook_changes_nothing(sent, django_capture_on_commit_callbacks):
    # given a hard bounce already applied
    post(hard_bounce(sent))
    before = (Delivery.objects.count(), Suppression.objects.count(), ProviderEvent.objects.count())

    # when Postmark posts the same event again
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(hard_bounce(sent))

    # then it is accepted (so Postmark stops retrying) and nothing changes
    assert response.status_code == 200
    assert (Delivery.objects.count(), Suppression.objects.count(), ProviderEvent.objects.count()) == before
    assert callbacks == []


def test_an_event_without_id_is_deduplicated_by_its_payload(sent):
    # when the same Open event (Postmark sends opens without an ID) arrives twice
    post(open_event(sent))
    post(open_event(sent))

    # then the open is counted once
    sent.refresh_from_db()
    assert sent.open_count == 1 and sent.opened_at
    assert ProviderEvent.objects.filter(kind="opened").count() == 1


def test_spam_complaint_suppresses_the_address(sent):
    # when the customer marks the email as spam
    response = post(spam_complaint(sent))

    # then the address is suppressed for email (later email to it is suppressed and falls back)
    assert response.status_code == 200
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


def test_wrong_or_missing_basic_auth_is_rejected_and_changes_nothing(sent):
    # when a webhook arrives with a wrong secret, or none
    wrong = post(hard_bounce(sent), secret="anymail:guess")
    missing = post(hard_bounce(sent), secret=None)

    # then both are rejected and nothing changed
    assert wrong.status_code == 400 and missing.status_code == 400
    sent.refresh_from_db()
    assert sent.status == D.SENT
    assert not Suppression.objects.exists() and not ProviderEvent.objects.exists()
    assert not Delivery.objects.filter(channel="sms").exists()


def test_webhooks_are_refused_while_no_secret_is_configured(sent, settings):
    # given no ANYMAIL_WEBHOOK_SECRET
    settings.ANYMAIL = {k: v for k, v in settings.ANYMAIL.items() if k != "WEBHOOK_SECRET"}

    # when a webhook arrives, then it is refused and nothing changes
    assert post(hard_bounce(sent), secret=None).status_code == 403
    assert not ProviderEvent.objects.exists()


def test_events_for_unknown_messages_are_recorded_not_errors(sent):
    # when Postmark reports on a message Waypost did not send
    payload = delivery_event(sent) | {"MessageID": "00000000-0000-0000-0000-000000000000", "Metadata": {}}
    response = post(payload)

    # then it is accepted and recorded, unapplied
    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    assert event.delivery is None and not event.applied
    sent.refresh_from_db()
    assert sent.status == D.SENT


def test_unsubscribe_event_opts_the_customer_out_of_email(sent):
    # when Postmark reports that the recipient unsubscribed (a SubscriptionChange)
    payload = {
        "RecordType": "SubscriptionChange",
        **common(sent),
        "ChangedAt": "2026-11-20T17:00:00Z",
        "Recipient": sent.to,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "Unsubscribe",
    }
    response = post(payload)

    # then the customer's email channel is opted out, logged with its source
    assert response.status_code == 200
    customer = sent.notification.customer
    consent = ChannelConsent.objects.get(customer=customer, channel="email")
    assert (consent.state, consent.source) == ("opted_out", "email_unsubscribe")
    assert ConsentLog.objects.get(customer=customer, channel="email").delivery_id == sent.pk
