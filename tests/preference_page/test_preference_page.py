"""The signed preference link opens the customer's page; tampered or expired links get a 400
page with no customer data."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing

from preferences.links import customer_for_token, preference_link_for, preference_token_for
from preferences.views import mask_email, mask_phone
from tests.factories import BrandFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    brand = BrandFactory(name="Northwind Outfitters", primary_color="#1d4d3a", accent_color="#e9b44c")
    return CustomerFactory(
        brand=brand,
        name="Sofía Hernández",
        email="sofia.hernandez@example.com",
        phone="+525512345678",
        language="es-MX",
        time_zone="America/Mexico_City",
        country="MX",
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_link_is_absolute_on_site_url(customer, settings):
    # Given a site URL
    settings.SITE_URL = "https://waypost.example.com"
    # When a link is made
    url = preference_link_for(customer)
    # Then it is absolute under /p/ and resolves back to the customer
    assert url.startswith("https://waypost.example.com/p/")
    assert customer_for_token(url.rstrip("/").rsplit("/", 1)[1]) == customer


def test_valid_link_shows_brand_name_language_and_masked_contacts(client, customer):
    # When the customer opens their link
    response = client.get(path_of(preference_link_for(customer)))

    # Then the page is theirs, in the brand's colours, with masked contact points
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es-MX">' in html
    assert "Northwind Outfitters" in html and "Sofía Hernández" in html
    assert "#1d4d3a" in html
    assert "español (México)" in html
    assert mask_email(customer.email) in html and mask_phone(customer.phone) in html
    assert customer.email not in html and customer.phone not in html
    # And the secret URL is neither cached nor sent as a referrer
    assert response["Cache-Control"] == "private, no-store"
    assert (
        response["Referrer-Policy"] == "same-origin"
    )  # (no-referrer would make the center's own POSTs "Origin: null")


def test_tampered_link_is_rejected_without_customer_data(client, customer):
    # Given a token whose signed value was changed to another customer's id
    other = CustomerFactory(brand=customer.brand, name="Someone Else")
    token = preference_token_for(customer)
    forged = token.replace(f"{customer.pk}:", f"{other.pk}:", 1)

    # When it is opened
    response = client.get(f"/p/{forged}/")

    # Then it is a 400 "invalid or expired" page with no customer data
    assert response.status_code == 400
    html = response.content.decode()
    assert "This link is invalid or expired" in html
    for secret in (customer.name, other.name, customer.email, "Northwind"):
        assert secret not in html


def test_garbage_token_is_rejected(client):
    response = client.get("/p/not-a-token/")
    assert response.status_code == 400
    assert "invalid or expired" in response.content.decode()


def test_expired_link_is_rejected(client, customer, settings, monkeypatch):
    # Given links that live one day, and a link signed two days ago
    settings.PREFERENCE_LINK_MAX_AGE_DAYS = 1
    two_days_ago = int(time.time() - timedelta(days=2).total_seconds())
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(two_days_ago))
        expired = preference_token_for(customer)

    # When it is opened
    response = client.get(f"/p/{expired}/")

    # Then it is refused as invalid or expired, showing nothing of the customer
    assert response.status_code == 400
    assert customer.name not in response.content.decode()
    # While the same link opens when links live three days, and a fresh link works
    settings.PREFERENCE_LINK_MAX_AGE_DAYS = 3
    assert client.get(f"/p/{expired}/").status_code == 200
    assert client.get(f"/p/{preference_token_for(customer)}/").status_code == 200


def test_link_signed_for_another_purpose_is_rejected(client, customer):
    # Given a value signed with the default salt (e.g. by another feature)
    token = signing.TimestampSigner().sign(str(customer.pk))
    # Then it does not open the preference page
    assert client.get(f"/p/{token}/").status_code == 400


@pytest.mark.parametrize(
    "email,masked",
    [("maria.lopez@example.com", "m••••••••••@example.com"), ("a@example.com", "a•••@example.com"), ("", "")],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


def test_mask_phone_keeps_country_prefix_and_last_digits():
    assert mask_phone("+14155550136") == "+1••••••0136"
