"""A fresh preference link, asked for on the expired-link page or by an agent, goes through the
pipeline like any other message: a ``preference_link`` notification planned from the customer's
request, its delivery and provider attempt, in the customer's timeline; email first, SMS when
email is opted out; never held by quiet hours (it is transactional)."""

import datetime as dt
import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.admin import helpers
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from channels.models import SandboxMessage
from console.selectors import customer_timeline
from notifications.models import Delivery, DeliveryAttempt, Event, Notification
from preferences.links import preference_token_for
from preferences.services import consent_set, preference_link_request
from tests.factories import BrandFactory, CustomerFactory
from tests.preferences.helpers import instant_pipeline, prefs_for, run_pipeline

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://\S+/p/(?:s/)?[\w:-]+/")


@pytest.fixture
def customer():
    instant_pipeline()
    brand = BrandFactory(name="Northwind Outfitters")
    return CustomerFactory(
        brand=brand,
        name="Emma Johnson",
        email="emma@example.com",
        phone="+12125550147",
        language="en-US",
        time_zone="America/New_York",
    )


def expired_token(customer, settings, monkeypatch) -> str:
    """An expired link of ``customer``, whose renewal cooldown (kept in the cache) is clear."""
    cache.delete(f"prefs-renew:{customer.pk}")
    settings.PREFERENCE_LINK_MAX_AGE_DAYS = 1
    two_days_ago = int(time.time() - dt.timedelta(days=2).total_seconds())
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(two_days_ago))
        return preference_token_for(customer)


def assert_sent_through_the_pipeline(customer, channel: str) -> SandboxMessage:
    """One preference_link notification with one delivery on ``channel`` and its accepted attempt,
    all in the customer's timeline; returns the message the sandbox recorded."""
    notification = Notification.objects.get(customer=customer, notification_type__key="preference_link")
    delivery = Delivery.objects.get(notification=notification)
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert notification.event.type == "customer.preference_link_requested"
    assert (delivery.channel, delivery.status, attempt.outcome) == (channel, "delivered", "accepted")
    shown = {(e["kind"], e["pk"]) for e in customer_timeline(customer_id=customer.pk)}
    assert {("notification", notification.pk), ("delivery", delivery.pk), ("attempt", attempt.pk)} <= shown
    message = SandboxMessage.objects.get()
    assert message.delivery_id == delivery.pk
    return message


def test_expired_link_page_sends_a_fresh_link_through_the_pipeline(client, customer, settings, monkeypatch):
    # given a customer whose link has expired
    token = expired_token(customer, settings, monkeypatch)

    # when they ask the expired-link page for a fresh one
    response = client.post(f"/p/renew/{token}/")

    # then the page says it goes to their email (naming no address), and nothing is sent yet
    page = response.content.decode()
    assert response.status_code == 200 and "the email address we have on file" in page and customer.email not in page
    assert not SandboxMessage.objects.exists()
    assert Event.objects.get(type="customer.preference_link_requested").customer == customer

    # when the pipeline plans and sends it
    run_pipeline()

    # then it went by email with a link that opens their preference page, and the timeline shows it
    message = assert_sent_through_the_pipeline(customer, "email")
    assert message.to == "emma@example.com" and "Northwind Outfitters" in message.subject
    link = LINK.search(message.body_text).group(0)
    assert link in message.body_html and client.get(urlsplit(link).path).status_code == 200


def test_agents_action_sends_a_fresh_link_through_the_pipeline(client, customer, django_user_model):
    # given an agent in the admin
    client.force_login(django_user_model.objects.create_superuser("agent", "agent@example.com", "pw"))

    # when they send the customer a fresh link and the pipeline runs
    client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "send_preference_link", helpers.ACTION_CHECKBOX_NAME: [customer.pk]},
    )
    run_pipeline()

    # then it went like any message, and the request is in the audit trail with who asked
    message = assert_sent_through_the_pipeline(customer, "email")
    assert message.to == "emma@example.com" and LINK.search(message.body_text)
    titles = [e["status_label"] for e in customer_timeline(customer_id=customer.pk) if e["kind"] == "audit"]
    assert "preference link requested" in titles


def test_opted_out_email_is_not_used_the_link_goes_by_sms(client, customer):
    # given a customer who opted out of email
    consent_set(customer=customer, channel="email", state="opted_out", source="center", actor="customer")

    # when a fresh link is asked for and the pipeline runs
    assert preference_link_request(customer=customer, actor="customer") == "sms"
    run_pipeline()

    # then it went by SMS (the short link, which opens the page), and email was left out for consent
    message = assert_sent_through_the_pipeline(customer, "sms")
    assert message.to == "+12125550147" and not Delivery.objects.filter(channel="email").exists()
    notification = Notification.objects.get(notification_type__key="preference_link")
    assert notification.skipped == {"email": "no_consent"}
    short = LINK.search(message.body_text).group(0)
    assert "/p/s/" in short and client.get(urlsplit(short).path).status_code == 302


def test_a_customer_opted_out_everywhere_gets_nothing_and_the_timeline_says_why(customer):
    # given a customer who opted out of email and SMS
    for channel in ("email", "sms"):
        consent_set(customer=customer, channel=channel, state="opted_out", source="center", actor="customer")

    # when a fresh link is asked for
    assert preference_link_request(customer=customer, actor="agent:alice") == ""
    run_pipeline()

    # then nothing is sent: consent law wins over a transactional message, and the timeline says so
    assert not SandboxMessage.objects.exists()
    entry = next(e for e in customer_timeline(customer_id=customer.pk) if e["kind"] == "notification")
    assert entry["status"] == "not_sent" and "opted out of this channel" in entry["why"]


def test_quiet_hours_do_not_hold_it(customer):
    # given a customer in quiet hours on every channel, all day
    prefs_for(
        customer,
        quiet_hours_enabled=True,
        quiet_start=dt.time(0, 0),
        quiet_end=dt.time(23, 59),
        quiet_channels=["email", "sms", "whatsapp", "push"],
    )

    # when a fresh link is asked for
    preference_link_request(customer=customer, actor="customer")
    run_pipeline()

    # then it goes at once
    assert_sent_through_the_pipeline(customer, "email")


def test_each_request_is_a_message_of_its_own(customer):
    # given a link already sent
    preference_link_request(customer=customer, actor="customer")
    run_pipeline()

    # when the customer asks again later (the page's cooldown is over)
    preference_link_request(customer=customer, actor="customer")
    run_pipeline()

    # then a second message went
    assert Notification.objects.filter(notification_type__key="preference_link").count() == 2
    assert SandboxMessage.objects.count() == 2
