"""Customers through the partner API: upsert by channel and external id, update, scoping, validation."""

from customers.models import Customer, CustomerIdentity
from tests.factories import CustomerFactory, OrderFactory

URL = "/api/v1/customers/"


def test_upsert_creates_then_updates_the_same_customer(partner_client, channel):
    # given a partner with one channel
    body = {
        "sales_channel": channel.slug,
        "external_id": "c-7",
        "name": "Ana",
        "phone": "+14155550123",
        "language": "es-mx",
        "time_zone": "America/Mexico_City",
        "country": "mx",
    }

    # when the same customer is sent twice, the second time with a new name
    first = partner_client.post(URL, body, format="json")
    second = partner_client.post(URL, {**body, "name": "Ana María"}, format="json")

    # then the first creates (201), the second updates (200) the same customer
    assert first.status_code == 201, first.json()
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["name"] == "Ana María"
    assert second.json()["language"] == "es-MX"
    assert second.json()["country"] == "MX"
    assert second.json()["identities"] == [{"sales_channel": channel.slug, "external_id": "c-7"}]
    assert Customer.objects.count() == 1


def test_national_phone_is_read_in_the_customers_country(partner_client, channel):
    # given a Mexican national number
    body = {"sales_channel": channel.slug, "external_id": "c-8", "phone": "55 1234 5678", "country": "MX"}

    # when the customer is created
    response = partner_client.post(URL, body, format="json")

    # then the phone is stored in E.164
    assert response.status_code == 201
    assert response.json()["phone"] == "+525512345678"


def test_patch_updates_fields_and_validates_them(partner_client, channel):
    # given an existing customer of the partner
    created = partner_client.post(URL, {"sales_channel": channel.slug, "external_id": "c-9"}, format="json").json()

    # when it is patched with good and then bad values
    good = partner_client.patch(f"{URL}{created['id']}/", {"email": "new@example.com", "tier": "vip"}, format="json")
    bad = partner_client.patch(f"{URL}{created['id']}/", {"time_zone": "Mars/Olympus"}, format="json")

    # then the good values are saved and the bad one is a 400 on its field
    assert good.status_code == 200
    assert good.json()["email"] == "new@example.com" and good.json()["tier"] == "vip"
    assert bad.status_code == 400
    assert "IANA" in bad.json()["fields"]["time_zone"][0]


def test_invalid_contact_fields_are_400_by_field(partner_client, channel):
    # given a customer with a bad phone, language, country and email
    body = {
        "sales_channel": channel.slug,
        "external_id": "c-10",
        "phone": "+1 555",
        "language": "xx-QQ-zz",
        "country": "ZZZ",
        "email": "not-an-email",
    }

    # when it is sent
    response = partner_client.post(URL, body, format="json")

    # then each field carries its own message and nothing is created
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert "language tag" in errors["language"][0]
    assert "country" in errors
    assert "email" in errors
    assert not Customer.objects.exists()


def test_invalid_phone_message(partner_client, channel):
    # given a number that phonenumbers rejects
    body = {"sales_channel": channel.slug, "external_id": "c-11", "phone": "+14155550"}

    # when it is sent
    response = partner_client.post(URL, body, format="json")

    # then the phone field explains the expected format
    assert response.status_code == 400
    assert "not a valid phone number" in response.json()["fields"]["phone"][0]
    assert "+14155550123" in response.json()["fields"]["phone"][0]


def test_a_foreign_channel_is_400_without_revealing_it_exists(partner_client, foreign_channel):
    # given a channel the partner does not have, and one that does not exist at all
    foreign = partner_client.post(URL, {"sales_channel": foreign_channel.slug, "external_id": "x"}, format="json")
    missing = partner_client.post(URL, {"sales_channel": "no-such-shop", "external_id": "x"}, format="json")

    # then both are 400 on sales_channel with the same wording
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["fields"]["sales_channel"] == [f"'{foreign_channel.slug}' is not one of your sales channels."]
    assert missing.json()["fields"]["sales_channel"] == ["'no-such-shop' is not one of your sales channels."]
    assert not CustomerIdentity.objects.exists()


def test_list_and_retrieve_only_show_the_partners_customers(partner_client, channel, foreign_channel):
    # given a customer with an identity here, one with only an order here, and a foreign one
    mine = partner_client.post(URL, {"sales_channel": channel.slug, "external_id": "c-1"}, format="json").json()
    ordered = OrderFactory(sales_channel=channel).customer
    foreign = CustomerFactory(brand=foreign_channel.brand)
    CustomerIdentity.objects.create(customer=foreign, sales_channel=foreign_channel, external_id="c-1")

    # when the partner lists and retrieves
    listed = partner_client.get(URL).json()
    foreign_detail = partner_client.get(f"{URL}{foreign.pk}/")
    foreign_patch = partner_client.patch(f"{URL}{foreign.pk}/", {"name": "x"}, format="json")

    # then only its own customers show, and the foreign one is a 404
    assert {c["id"] for c in listed["results"]} == {mine["id"], ordered.pk}
    assert foreign_detail.status_code == 404
    assert foreign_patch.status_code == 404


def test_filter_by_external_id(partner_client, channel):
    # given two customers
    for external_id in ("c-1", "c-2"):
        partner_client.post(URL, {"sales_channel": channel.slug, "external_id": external_id}, format="json")

    # when filtered by external id
    listed = partner_client.get(URL, {"external_id": "c-2"}).json()

    # then one matches
    assert [c["identities"][0]["external_id"] for c in listed["results"]] == ["c-2"]
