"""Partner API for preferences (read, update with consent logged as "api", critical types kept on,
scope) and app presence (push becomes active); ``manage.py preference_link``."""

import datetime as dt
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalogue.shipped import ensure_catalogue
from customers.models import CustomerIdentity
from preferences.models import ConsentLog, CustomerPreferences, TypePreference
from tests.factories import CustomerFactory, SalesChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(partner_factory):
    ensure_catalogue()
    channel = SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand, language="en-US", time_zone="Europe/Paris")
    CustomerIdentity.objects.create(customer=customer, sales_channel=channel, external_id="c-1")
    _partner, client = partner_factory(channel, name="Acme")
    return customer, client


def test_get_preferences_defaults(setup):
    customer, client = setup
    body = client.get(f"/api/v1/customers/{customer.pk}/preferences/").json()
    assert body["channels"] == {"email": True, "sms": True, "whatsapp": True, "push": True}
    assert body["types"]["shipment_shipped"] == {"email": True, "sms": True, "whatsapp": True, "push": True}
    assert "shipment_exception" in body["critical_types"] and "daily_digest" not in body["types"]
    assert body["rhythm"] == {"backorder": "instant", "returns": "instant", "shipping": "instant"}
    assert body["push"] == {"active": False, "live_subscriptions": 0, "app_seen_at": None}


def test_put_updates_only_what_is_sent_and_logs_consent_as_api(setup):
    customer, client = setup
    response = client.put(
        f"/api/v1/customers/{customer.pk}/preferences/",
        {
            "types": {"shipment_shipped": {"sms": False}, "shipment_exception": {"sms": False}},
            "channel_order": ["push", "sms", "email"],
            "rhythm": {"returns": "daily"},
            "digest_hour": 7,
            "quiet_hours": {"start": "22:30", "end": "06:45", "channels": ["sms"]},
            "language": "fr",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["types"]["shipment_shipped"]["sms"] is False
    assert body["types"]["shipment_exception"]["sms"] is True  # critical: cannot be switched off
    assert body["channel_order"] == ["push", "sms", "email"] and body["rhythm"]["returns"] == "daily"
    assert body["quiet_hours"]["start"] == "22:30" and body["quiet_hours"]["channels"] == ["sms"]
    assert body["language"] == "fr" and body["digest_hour"] == 7
    log = ConsentLog.objects.get(customer=customer)
    assert (log.type_key, log.channel, log.source, log.actor) == ("shipment_shipped", "sms", "api", "partner:Acme")
    assert not TypePreference.objects.filter(customer=customer, type_key="shipment_exception").exists()


def test_put_rejects_unknown_types_channels_and_bad_values(setup):
    customer, client = setup
    url = f"/api/v1/customers/{customer.pk}/preferences/"
    assert client.put(url, {"types": {"nope": {"sms": False}}}, format="json").status_code == 400
    assert client.put(url, {"channels": {"fax": True}}, format="json").status_code == 400
    assert client.put(url, {"digest_hour": 24}, format="json").status_code == 400
    assert client.put(url, {"time_zone": "Mars/Olympus"}, format="json").status_code == 400


def test_other_partners_cannot_see_the_customer(setup, partner_factory):
    customer, _client = setup
    _other, stranger = partner_factory(SalesChannelFactory())
    assert stranger.get(f"/api/v1/customers/{customer.pk}/preferences/").status_code == 404
    assert stranger.post(f"/api/v1/customers/{customer.pk}/app-presence/", {}, format="json").status_code == 404


def test_app_presence_makes_push_active_for_the_configured_days(setup, settings):
    customer, client = setup
    settings.PUSH_APP_ACTIVE_DAYS = 7
    assert client.post(f"/api/v1/customers/{customer.pk}/app-presence/", {}, format="json").status_code == 204
    assert client.get(f"/api/v1/customers/{customer.pk}/preferences/").json()["push"]["active"] is True
    old = (timezone.now() - dt.timedelta(days=8)).isoformat()
    client.post(f"/api/v1/customers/{customer.pk}/app-presence/", {"seen_at": old}, format="json")
    assert CustomerPreferences.objects.get(customer=customer).app_seen_at < timezone.now() - dt.timedelta(days=7)
    assert client.get(f"/api/v1/customers/{customer.pk}/preferences/").json()["push"]["active"] is False


def test_preference_link_command_prints_a_working_link(client):
    customer = CustomerFactory(email="Emma.Johnson@example.com", phone="+12125550147")
    out = StringIO()
    call_command("preference_link", "emma.johnson@example.com", stdout=out)
    link = out.getvalue().strip()
    assert client.get(urlsplit(link).path).status_code == 200
    out = StringIO()
    call_command("preference_link", "+1 212 555 0147", "--short", stdout=out)
    lines = out.getvalue().split()
    assert len(lines) == 2 and "/p/s/" in lines[1]
    with pytest.raises(CommandError):
        call_command("preference_link", "nobody@example.com")
    assert customer.pk
