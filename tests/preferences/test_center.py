"""The preference center over HTTP (no JavaScript): it shows the customer's choices, saves them
(logging consent changes with source "center"), refuses tampered links, offers a fresh link for
expired ones (sent to the address on file only), resolves SMS short links and stores push
subscriptions."""

import datetime as dt
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.cache import cache

from catalogue.shipped import ensure_catalogue
from channels.models import SandboxMessage
from preferences.links import preference_token_for, short_preference_link_for
from preferences.models import ChannelConsent, ConsentLog, CustomerPreferences, PushSubscription, TypePreference
from tests.factories import BrandFactory, CustomerFactory
from tests.preferences.helpers import run_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    ensure_catalogue()
    brand = BrandFactory(name="Northwind Outfitters", primary_color="#1d4d3a", logo_url="https://cdn.example/logo.svg")
    return CustomerFactory(
        brand=brand,
        name="Emma Johnson",
        email="emma@example.com",
        phone="+12125550147",
        language="en-US",
        time_zone="America/New_York",
    )


def page_url(customer) -> str:
    return f"/p/{preference_token_for(customer)}/"


def form_data(response) -> dict:
    """What the browser would submit: every field's current value (checked boxes only)."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, bool) or value is None:
            if value:
                data[name] = "on"
        elif isinstance(value, (dt.time,)):
            data[name] = value.strftime("%H:%M")
        else:
            data[name] = str(value)
    return data


@pytest.mark.quiet_hours
def test_center_shows_types_by_category_critical_locked_brand_and_fields(client, customer):
    response = client.get(page_url(customer))
    assert response.status_code == 200
    html = response.content.decode()
    # The brand's logo and colour, and accessible structure
    assert "https://cdn.example/logo.svg" in html and "#1d4d3a" in html
    assert html.count("<fieldset>") >= 6 and "<legend>Orders and shipping</legend>" in html
    assert '<label class="sr-only" for="id_type_shipment_shipped_sms">Shipped: SMS</label>' in html
    # Critical types are shown locked with one line saying why
    assert re.search(r'<input type="checkbox" name="type_shipment_exception_sms" disabled[^>]*checked>', html)
    assert "Always sent: it needs your attention." in html
    # Defaults: quiet hours 21:00-08:00 for SMS, WhatsApp and push, not email; everything instant
    form = response.context["form"]
    assert (
        form["quiet_start"].value().strftime("%H:%M") == "21:00"
        and form["quiet_end"].value().strftime("%H:%M") == "08:00"
    )
    assert form["quiet_enabled"].value() is True
    assert [form[f"quiet_{c}"].value() for c in ("email", "sms", "whatsapp", "push")] == [False, True, True, True]


def test_saving_switches_a_type_off_sets_language_quiet_hours_and_logs_consent(client, customer):
    response = client.get(page_url(customer))
    data = form_data(response)
    data.pop("type_shipment_shipped_sms")
    data.update(
        language="es",
        quiet_start="22:00",
        quiet_end="07:30",
        rhythm_returns="daily",
        digest_hour="19",
        order_1="push",
        order_2="sms",
        order_3="email",
    )
    # When the customer saves
    saved = client.post(page_url(customer), data)
    # Then they are redirected back, and everything is kept
    assert saved.status_code == 302 and saved["Location"].endswith("?saved=1")
    assert not TypePreference.objects.get(customer=customer, type_key="shipment_shipped", channel="sms").enabled
    customer.refresh_from_db()
    prefs = CustomerPreferences.objects.get(customer=customer)
    assert customer.language == "es"
    assert (prefs.quiet_start, prefs.quiet_end) == (dt.time(22), dt.time(7, 30))
    assert prefs.rhythm["returns"] == "daily" and prefs.digest_hour == 19
    assert prefs.channel_order == ["push", "sms", "email"]
    # And exactly one consent change was logged, from the center
    log = ConsentLog.objects.get(customer=customer)
    assert (log.channel, log.type_key, log.old_state, log.new_state, log.source) == (
        "sms",
        "shipment_shipped",
        "opted_in",
        "opted_out",
        "center",
    )
    # And the page now speaks Spanish
    again = client.get(saved["Location"])
    assert "Tus preferencias están guardadas." in again.content.decode() or again.status_code == 200


def test_whole_channel_off_is_a_logged_consent_change(client, customer):
    data = form_data(client.get(page_url(customer)))
    data.pop("consent_sms")
    client.post(page_url(customer), data)
    assert ChannelConsent.objects.get(customer=customer, channel="sms").state == "opted_out"
    assert ConsentLog.objects.filter(customer=customer, channel="sms", type_key="", source="center").count() == 1


def test_critical_types_cannot_be_switched_off_by_a_crafted_post(client, customer):
    data = form_data(client.get(page_url(customer)))
    data.pop("type_shipment_exception_email", None)
    client.post(page_url(customer), data)
    assert not TypePreference.objects.filter(customer=customer, type_key="shipment_exception").exists()


def test_invalid_quiet_hours_are_shown_as_errors(client, customer):
    data = form_data(client.get(page_url(customer)))
    data.update(quiet_enabled="on", quiet_start="22:00", quiet_end="22:00")
    response = client.post(page_url(customer), data)
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_recent_notifications_show_channel_and_status(client):
    from tests.preferences.helpers import (
        carrier_scan,
        customer_with_shipment,
        instant_pipeline,
        process_events,
        send_due,
    )

    instant_pipeline()
    customer, _order, shipment = customer_with_shipment()
    carrier_scan(shipment, "shipped")
    process_events()
    send_due()
    html = client.get(page_url(customer)).content.decode()
    assert "What we sent you" in html and "Shipped" in html and "SMS: Delivered" in html and "Email: Delivered" in html


def test_tampered_link_is_refused_and_cannot_send_a_link(client, customer):
    token = preference_token_for(customer)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/p/{tampered}/")
    assert response.status_code == 400 and customer.name not in response.content.decode()
    renew = client.post(f"/p/renew/{tampered}/")
    assert renew.status_code == 200 and "could not recognise" in renew.content.decode()
    assert not SandboxMessage.objects.exists()


def test_expired_link_offers_a_fresh_one_sent_to_the_address_on_file(client, customer, settings, monkeypatch):
    settings.PREFERENCE_LINK_MAX_AGE_DAYS = 1
    cache.delete(f"prefs-renew:{customer.pk}")  # the cooldown of an earlier test's customer with this id
    old = int(time.time() - dt.timedelta(days=2).total_seconds())
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
        expired = preference_token_for(customer)
    page = client.get(f"/p/{expired}/")
    assert page.status_code == 400 and f'action="/p/renew/{expired}/"' in page.content.decode()
    # When the customer asks for a fresh link (the form has no address field; extra ones are ignored)
    response = client.post(f"/p/renew/{expired}/", {"email": "attacker@example.net"})
    run_pipeline()
    # Then one message goes to the email on file, with a working link, and the page names no address
    page = response.content.decode()
    assert response.status_code == 200 and "emma@example.com" not in page and "the email address we have" in page
    message = SandboxMessage.objects.get()
    assert message.to == "emma@example.com" and message.channel == "email"
    link = re.search(r"https?://\S+/p/[^/\s]+/", message.body_text).group(0)
    assert client.get(urlsplit(link).path).status_code == 200
    # And a second request within the cooldown sends nothing more
    client.post(f"/p/renew/{expired}/")
    run_pipeline()
    assert SandboxMessage.objects.count() == 1


def test_sms_short_link_resolves_to_the_signed_link(client, customer):
    url = short_preference_link_for(customer)
    assert re.search(r"/p/s/[\w-]{8}/$", url) and short_preference_link_for(customer) == url
    response = client.get(urlsplit(url).path)
    assert response.status_code == 302 and client.get(response["Location"]).status_code == 200
    assert client.get("/p/s/nosuchcode/").status_code == 400


def test_push_subscription_endpoint_stores_it_and_logs_push_consent(client, customer):
    body = {"endpoint": "https://push.example/send/abc", "keys": {"p256dh": "BPk", "auth": "xyz"}}
    response = client.post(f"{page_url(customer)}push/", body, content_type="application/json")
    assert response.status_code == 201
    sub = PushSubscription.objects.get(customer=customer)
    assert (sub.endpoint, sub.p256dh, sub.auth, sub.expired_at) == ("https://push.example/send/abc", "BPk", "xyz", None)
    assert ConsentLog.objects.filter(customer=customer, channel="push", source="center").count() == 1
    assert (
        client.post(f"{page_url(customer)}push/", {"endpoint": 1}, content_type="application/json").status_code == 400
    )
    assert client.post("/p/bad-token/push/", body, content_type="application/json").status_code == 400
