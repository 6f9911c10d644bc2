"""The bad-input corpus: at every door (the partner API, shop and carrier webhooks, SMS and email
provider webhooks, public pages) each malformed input gets a 4xx in the one error shape, naming
the field or limit, and writes no row. A signed shop body is the exception that proves the rule:
it is stored as received, NULs included, and processed."""

import base64
import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from customers.models import Customer
from intake.models import CarrierAccount, IntakeRecord
from intake.services import intake_record_process, sales_channel_add
from inventory.models import Product, StockLevel
from notifications.models import InboundMessage, ProviderEvent
from orders.models import Order
from tests.factories import BrandFactory
from tests.intake.samples import b64_hmac, body_of, shopify_order

pytestmark = pytest.mark.django_db
SECRET = "shpss_bad_input_secret"
DEEP = b"[" * 100_000 + b"]" * 100_000
WATCHED = (IntakeRecord, Order, Customer, Product, StockLevel, ProviderEvent, InboundMessage)


def rows() -> dict:
    return {model.__name__: model.objects.count() for model in WATCHED}


def nested(levels: int) -> dict:
    value: dict = {"line1": "Calle 1"}
    for _ in range(levels):
        value = {"line1": value}
    return value


def assert_refused(response, status: int, *, field: str | None = None, code: str | None = None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert body["detail"], body
    if code:
        assert body["code"] == code, body
    if field:
        assert field in body.get("fields", {}), body
    return body


@pytest.fixture
def shop(db):
    brand = BrandFactory(slug="acme")
    return sales_channel_add(brand=brand, name="Acme", slug="acme-shop", kind="shopify", webhook_secret=SECRET)


@pytest.fixture
def api(partner_factory, shop):
    _partner, client = partner_factory(shop)
    return client


@pytest.fixture
def carrier(db):
    return CarrierAccount.objects.create(carrier="aftership", adapter="aftership", webhook_secret="as-secret")


@pytest.fixture
def postmark(settings):
    settings.WAYPOST_PROVIDERS = {**settings.WAYPOST_PROVIDERS, "email": "postmark"}
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "t", "WEBHOOK_SECRET": "anymail:secret"}


def post_shopify(body: bytes, *, topic="orders/create", signed=True):
    return Client().generic(
        "POST",
        "/intake/shopify/acme-shop/",
        body,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_HMAC_SHA256=b64_hmac(SECRET, body) if signed else "forged",
        HTTP_X_SHOPIFY_WEBHOOK_ID=f"wh-{len(body)}",
    )


def order(shop, **overrides) -> dict:
    payload = {
        "sales_channel": shop.slug,
        "external_id": "1001",
        "currency": "USD",
        "customer": {"external_id": "c-1", "email": "ana@example.com"},
        "lines": [{"sku": "SHOE-1", "name": "Shoe", "quantity": 1, "unit_price": "10.00"}],
    }
    payload.update(overrides)
    return payload


# --- JSON nested past the parser's limit, at every JSON door -------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders/",
        "/api/v1/intake/orders/",
        "/intake/shopify/acme-shop/",
        "/webhooks/carriers/aftership/",
        "/webhooks/vonage/sms/dlr/",
        "/webhooks/vonage/messages/status/",
        "/anymail/postmark/tracking/",
    ],
)
def test_deeply_nested_json_is_400_at_every_door_before_any_work(api, carrier, postmark, path):
    # given a body of 100,000 nested lists (unsigned, unauthenticated except for the API's token)
    before = rows()
    client = api if path.startswith("/api/") else Client()

    # when it is posted
    response = client.generic("POST", path, DEEP, content_type="application/json")

    # then it is refused by its depth, before any signature check, and nothing is written
    assert_refused(response, 400, field="body", code="too_deep")
    assert rows() == before


def test_a_shipping_address_nested_beyond_the_limit_is_400_naming_where(api, shop, settings):
    # given an order whose address nests 900 levels
    before = rows()

    # when it is posted
    response = api.post("/api/v1/orders/", order(shop, shipping_address=nested(900)), format="json")

    # then the error names the path at the depth limit and no order is stored
    body = assert_refused(response, 400, code="too_deep")
    [where] = body["fields"]
    assert where.startswith("shipping_address.line1.line1")
    assert rows() == before


def test_a_list_wider_than_the_limit_is_400(api, shop, settings):
    settings.REQUEST_JSON_MAX_ITEMS = 100
    lines = [{"sku": f"S{i}", "name": "x", "quantity": 1, "unit_price": "1.00"} for i in range(101)]
    response = api.post("/api/v1/orders/", order(shop, lines=lines), format="json")
    assert_refused(response, 400, field="lines", code="too_wide")
    assert not Order.objects.exists()


# --- NUL characters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/products/", {"sales_channel": "acme\x00", "sku": "S1", "name": "Shoe"}, "sales_channel"),
        ("/api/v1/customers/", {"sales_channel": "acme\x00", "external_id": "c-1"}, "sales_channel"),
        ("/api/v1/stock-levels/", {"sales_channel": "acme\x00", "sku": "S1", "on_hand": 1}, "sales_channel"),
        ("/api/v1/orders/", {"sales_channel": "acme\x00"}, "sales_channel"),
    ],
)
def test_a_nul_in_an_api_field_is_400_naming_the_field(api, path, payload, field):
    before = rows()
    response = api.post(path, payload, format="json")
    assert_refused(response, 400, field=field, code="invalid_text")
    assert rows() == before


def test_a_nul_inside_the_shipping_address_is_400_naming_its_path(api, shop):
    response = api.post("/api/v1/orders/", order(shop, shipping_address={"line1": "Calle\x00 1"}), format="json")
    assert_refused(response, 400, field="shipping_address.line1", code="invalid_text")
    assert not Order.objects.exists()


def test_a_nul_in_a_query_parameter_or_the_address_is_400(api):
    assert_refused(api.get("/api/v1/orders/", {"sales_channel": "a\x00"}), 400, field="sales_channel")
    assert_refused(Client().get("/p/s/AAAAAAAA%00/"), 400, field="path")


def test_a_nul_in_a_form_field_is_400(db):
    before = rows()
    fields = {"MessageSid": "SM1", "From": "+1415\x00", "Body": "STOP"}
    form = Client().post(
        "/webhooks/twilio/inbound/", urlencode(fields), content_type="application/x-www-form-urlencoded"
    )
    multipart = Client().post("/webhooks/twilio/inbound/", fields)
    assert_refused(form, 400, field="From", code="invalid_text")
    assert_refused(multipart, 400, field="From", code="invalid_text")
    assert rows() == before


def test_a_signed_shopify_body_with_a_nul_is_stored_as_received_and_processed(shop):
    # given a correctly signed Shopify order whose note carries a NUL (Shopify sends it escaped)
    body = body_of(shopify_order(note="gift\u0000wrap"))
    assert b"\\u0000" in body

    # when Shopify posts it
    response = post_shopify(body)

    # then it is acknowledged and stored byte for byte; processing reads it without the NUL
    assert response.status_code == 202, response.content
    record = IntakeRecord.objects.get()
    assert record.raw_body.encode() == body
    assert "\x00" not in json.dumps(record.payload)
    processed = intake_record_process(record_id=record.pk)
    assert processed.status in (IntakeRecord.Status.PROCESSED, IntakeRecord.Status.WARNING), processed.errors
    assert Order.objects.get().sales_channel == shop


# --- sizes ---------------------------------------------------------------------------------------


def test_a_three_megabyte_signed_shopify_body_is_413_naming_the_limit(shop):
    body = body_of(shopify_order(note="x" * 3_000_000))
    response = post_shopify(body)
    body = assert_refused(response, 413, code="too_large")
    assert "REQUEST_MAX_BODY_BYTES" in body["detail"] and "2097152" in body["detail"]
    assert not IntakeRecord.objects.exists()


def test_a_body_that_is_not_utf8_is_400(api):
    response = api.generic("POST", "/api/v1/orders/", b'{"note": "\xff\xfe"}', content_type="application/json")
    assert_refused(response, 400, field="body", code="invalid_text")


def test_a_number_beyond_pythons_digit_limit_is_400(api):
    response = api.generic("POST", "/api/v1/orders/", b'{"n": ' + b"9" * 5000 + b"}", content_type="application/json")
    assert_refused(response, 400, field="body", code="parse_error")


def test_nan_is_not_json(api):
    response = api.generic("POST", "/api/v1/orders/", b'{"n": NaN}', content_type="application/json")
    assert_refused(response, 400, field="body", code="parse_error")


# --- forged or unknown doors ---------------------------------------------------------------------


@pytest.mark.parametrize("esp", ["mailgun", "sendgrid", "amazon_ses", "brevo", "sparkpost", "mandrill"])
def test_an_unconfigured_esps_webhook_is_404(db, esp):
    response = Client().post(f"/anymail/{esp}/tracking/", data="{}", content_type="application/json")
    assert_refused(response, 404, code="not_found")


def test_the_configured_esps_webhook_still_answers(postmark):
    auth = "Basic " + base64.b64encode(b"anymail:secret").decode()
    event = {
        "RecordType": "Open",
        "MessageID": "m-1",
        "Recipient": "a@example.com",
        "ReceivedAt": "2026-01-01T00:00:00Z",
    }
    response = Client().post(
        "/anymail/postmark/tracking/", data=json.dumps(event), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 200


def test_a_forged_shopify_post_is_401_in_the_error_shape(shop):
    response = post_shopify(body_of(shopify_order()), signed=False)
    assert_refused(response, 401, code="invalid_signature")
    assert not IntakeRecord.objects.exists()


def test_unknown_api_routes_and_methods_answer_in_the_error_shape(api):
    assert_refused(api.get("/api/v1/orders/999999/"), 404, code="not_found")
    assert_refused(api.delete("/api/v1/orders/"), 405, code="method_not_allowed")
    assert_refused(Client().get("/api/v1/orders/"), 401)


def test_a_machine_doors_unknown_address_is_json_when_not_debugging(db, settings):
    settings.DEBUG = False
    assert_refused(Client().post("/webhooks/nowhere/", data="{}", content_type="application/json"), 404)
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
