"""Customers: phone numbers in E.164, BCP 47 languages, and an upsert that creates once."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, CustomerIdentity
from customers.services import customer_upsert
from customers.validators import normalize_phone, validate_language
from tests.factories import SalesChannelFactory


@pytest.fixture
def channel(db):
    return SalesChannelFactory()


@pytest.mark.parametrize("raw", ["12345", "+1 555 0000", "not a phone"])
def test_invalid_phone_is_rejected_naming_the_number(channel, raw):
    # given contact data with an invalid phone
    # when the customer is upserted
    with pytest.raises(ValidationError) as excinfo:
        customer_upsert(sales_channel=channel, external_id="c-1", data={"phone": raw, "country": "US"})
    # then the phone field's message names the number and shows the expected format
    [message] = excinfo.value.message_dict["phone"]
    assert f"'{raw}'" in message
    assert "+14155550123" in message
    assert not Customer.objects.exists()


def test_national_number_is_read_in_the_customers_country(channel):
    # given a US customer giving a national number
    # when upserted
    customer, _ = customer_upsert(
        sales_channel=channel, external_id="c-1", data={"phone": "(415) 555-0123", "country": "us"}
    )
    # then it is stored in E.164 and the country is upper-cased
    assert (customer.phone, customer.country) == ("+14155550123", "US")


@pytest.mark.parametrize(
    "raw, country, expected",
    [
        ("(415) 555-0123", "US", "+14155550123"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+52 55 1234 5678", "", "+525512345678"),
        ("", "US", ""),
    ],
)
def test_normalize_phone(raw, country, expected):
    assert normalize_phone(raw, country) == expected


def test_national_number_without_a_country_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone("4155550123", "")
    assert "'4155550123'" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("es-mx", "es-MX"),
        ("es_MX", "es-MX"),
        ("EN", "en"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
    ],
)
def test_language_is_canonicalised(tag, expected):
    assert validate_language(tag) == expected


@pytest.mark.parametrize("tag", ["xx", "klingon", "es-XX", "en-ZZ", "und", ""])
def test_unknown_language_is_rejected(tag):
    # given a tag that is not a language we know (or silently becomes another one)
    # then it is rejected, naming the tag
    with pytest.raises(ValidationError) as excinfo:
        validate_language(tag)
    assert f"'{tag}'" in excinfo.value.messages[0]


def test_upsert_stores_canonical_language_and_rejects_unknown(channel):
    # given a customer written with a lower-case region
    customer, _ = customer_upsert(sales_channel=channel, external_id="c-1", data={"language": "es-mx"})
    # then it is stored canonical
    assert customer.language == "es-MX"
    # when an unknown language is sent
    with pytest.raises(ValidationError) as excinfo:
        customer_upsert(sales_channel=channel, external_id="c-1", data={"language": "zz-top"})
    # then the language field says why, and the stored value is kept
    assert "'zz-top'" in excinfo.value.message_dict["language"][0]
    customer.refresh_from_db()
    assert customer.language == "es-MX"


def test_upsert_creates_once_then_updates(channel):
    # given no customer yet
    # when the same identity is upserted twice with changing data
    first, created = customer_upsert(
        sales_channel=channel, external_id="c-1", data={"name": "Ana", "email": "ana@example.com"}
    )
    second, created_again = customer_upsert(sales_channel=channel, external_id="c-1", data={"name": "Ana Ruiz"})
    # then one customer with one identity exists, updated in place
    assert (created, created_again) == (True, False)
    assert second.pk == first.pk
    assert Customer.objects.count() == 1 and CustomerIdentity.objects.count() == 1
    second.refresh_from_db()
    assert (second.name, second.email) == ("Ana Ruiz", "ana@example.com")
    assert second.brand_id == channel.brand_id


def test_same_external_id_in_another_channel_is_another_customer(channel):
    other = SalesChannelFactory(brand=channel.brand)
    a, _ = customer_upsert(sales_channel=channel, external_id="c-1", data={"name": "Ana"})
    b, created = customer_upsert(sales_channel=other, external_id="c-1", data={"name": "Bo"})
    assert created is True and a.pk != b.pk
