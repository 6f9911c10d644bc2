"""Numeric-only SMS sender countries are enforced when senders are configured: a brand that would
text a letters sender to the US (or another numeric-only country) is refused in its admin form,
naming the country and the setting, and a settings-level sender that is not a number stops startup."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from customers.models import Brand
from customers.sms_senders import check_sender_settings

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def brand_form(**overrides) -> dict:
    return {
        "name": "Northwind Outfitters",
        "slug": "northwind-test",
        "default_language": "en-US",
        "primary_color": "#1d4d3a",
        "accent_color": "#e9b44c",
        "sender_name": "Northwind Outfitters",
        "sender_email": "orders@northwind.example.com",
        "sms_sender_id": "NORTHWIND",
        "sms_sender_number": "",
        "sms_countries": "",
        "support_email": "help@northwind.example.com",
        **overrides,
    }


def test_a_letters_sender_without_a_number_is_refused_for_numeric_only_countries(admin_client, settings):
    # given the US and Canada take numeric senders only, and no settings-level number
    settings.SMS_NUMERIC_SENDER_COUNTRIES = ["US", "CA"]
    settings.SMS_SENDER_NUMBERS = {}

    # when a brand texting any country (or the US) is saved with only a letters sender
    anywhere = admin_client.post("/admin/customers/brand/add/", brand_form())
    to_us = admin_client.post("/admin/customers/brand/add/", brand_form(sms_countries="us,mx"))

    # then the form refuses it, naming the country and the settings to fix
    assert anywhere.status_code == 200 and to_us.status_code == 200
    errors = anywhere.context["adminform"].form.errors["sms_sender_number"]
    assert any("SMS to US" in e and "SMS_SENDER_NUMBERS" in e and "SMS sender number" in e for e in errors)
    assert any("SMS to CA" in e for e in errors)
    assert [e[:9] for e in to_us.context["adminform"].form.errors["sms_sender_number"]] == ["SMS to US"]
    assert not Brand.objects.filter(slug="northwind-test").exists()


@pytest.mark.parametrize(
    "overrides, numbers",
    [
        ({"sms_sender_number": "+15035550100"}, {}),  # its own number
        ({"sms_countries": "FR,DE,MX"}, {}),  # texts no numeric-only country
        ({"sms_countries": "US"}, {"US": "+12025550100"}),  # a number for the US from the settings
        ({"sms_countries": "US"}, {"US": "74159"}),  # a short code
    ],
)
def test_a_brand_with_a_number_where_one_is_needed_is_saved(admin_client, settings, overrides, numbers):
    settings.SMS_NUMERIC_SENDER_COUNTRIES = ["US", "CA"]
    settings.SMS_SENDER_NUMBERS = numbers
    response = admin_client.post("/admin/customers/brand/add/", brand_form(**overrides))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Brand.objects.get(slug="northwind-test").sms_sender_id == "NORTHWIND"


def test_an_unknown_country_or_a_sender_number_that_is_not_a_number_is_refused(admin_client, settings):
    response = admin_client.post(
        "/admin/customers/brand/add/", brand_form(sms_countries="FR,XX", sms_sender_number="NORTHWIND")
    )
    errors = response.context["adminform"].form.errors
    assert "'XX' is not an ISO 3166-1" in errors["sms_countries"][0]
    assert "not a phone number" in errors["sms_sender_number"][0]


def test_settings_level_sender_that_is_not_a_number_is_a_startup_error(settings):
    # given a settings-level sender for the US that is letters
    settings.SMS_SENDER_NUMBERS = {"US": "NORTHWIND", "GB": "+447911123456"}
    settings.SMS_NUMERIC_SENDER_COUNTRIES = ["US", "CA", "USA"]
    # when the system checks run, then each problem is an error naming the country and the setting
    messages = sorted(e.msg for e in check_sender_settings())
    assert messages == [
        "SMS_NUMERIC_SENDER_COUNTRIES: 'USA' is not an ISO 3166-1 alpha-2 country code.",
        "SMS_SENDER_NUMBERS: the sender for US is 'NORTHWIND', SMS to US may only come from a phone number (+E.164, or a short code).",
    ]


def test_startup_is_refused_with_a_letters_settings_sender(tmp_path):
    env = {**os.environ, "SMS_SENDER_NUMBERS": "CA=NORTHWIND", "WAYPOST_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SMS_SENDER_NUMBERS: the sender for CA is 'NORTHWIND', SMS to CA may only come from a phone number" in (
        result.stderr
    )
