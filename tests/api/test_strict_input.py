"""What the schema says, the API holds to: text is a JSON string, a filter given blank is
refused rather than ignored, languages and time zones are the ones the schema lists, and a
customer without an email reads null."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/orders/", "placed_before"),
        ("/api/v1/orders/", "status"),
        ("/api/v1/orders/", "customer"),
        ("/api/v1/returns/", "status"),
        ("/api/v1/shipments/", "status"),
        ("/api/v1/notifications/", "status"),
    ],
)
def test_a_filter_given_blank_is_a_400_naming_it(partner_client, url, param):
    response = partner_client.get(f"{url}?{param}=")
    assert response.status_code == 400
    assert response.json()["fields"][param] == ["Give a value, or leave the parameter out."]


def test_a_text_filter_given_blank_still_means_no_filter(partner_client):
    assert partner_client.get("/api/v1/orders/?external_id=").status_code == 200


def test_a_number_where_text_belongs_is_refused(partner_client, create_order):
    order = create_order("1001")
    response = partner_client.post(
        f"/api/v1/orders/{order['id']}/shipments/", {"carrier": "ups", "tracking_number": 12345}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["tracking_number"] == ["Give text (a JSON string)."]


def test_languages_and_time_zones_are_the_schemas_lists_and_any_case_still_reads(partner_client, channel):
    schema = partner_client.get("/api/schema/?format=json").json()
    enums = schema["components"]["schemas"]
    assert "es-MX" in enums["LanguageEnum"]["enum"] and "America/Mexico_City" in enums["TimeZoneEnum"]["enum"]
    created = partner_client.post(
        "/api/v1/customers/",
        {"sales_channel": channel.slug, "external_id": "c-1", "language": "es_mx", "time_zone": "Europe/Paris"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["language"], created.json()["email"]) == ("es-MX", None)


def test_a_number_where_a_boolean_belongs_is_refused(partner_client, create_order):
    order = create_order("1001")
    response = partner_client.put(
        f"/api/v1/customers/{order['customer']}/preferences/", {"quiet_hours": {"enabled": 0}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["quiet_hours.enabled"] == ["Give true or false."]
