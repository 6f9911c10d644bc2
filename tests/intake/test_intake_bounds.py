"""Every order source is held to the API's bounds: an order in the native partner format, a
marketplace report or a shop webhook with an unreal currency, a date out of range, too many lines,
an impossible quantity or an address of another shape fails, naming each field and rule, and
writes no order; shop addresses arrive in the one address shape."""

import copy

import pytest
from django.conf import settings

from intake.models import IntakeRecord
from orders.models import Order
from tests.intake.conftest import process_received
from tests.intake.samples import WOO_ORDER, body_of, marketplace_json_rows, shopify_order

pytestmark = pytest.mark.django_db
R = IntakeRecord.Status
INTAKE = "/api/v1/intake/orders/"


def native(external_id="P-1", **overrides):
    return {
        "external_id": external_id,
        "customer": {"external_id": "c-1", "name": "Pat", "email": "pat@example.com", "country": "US"},
        "lines": [{"sku": "TR-42-BLK", "name": "Trail runner", "quantity": 1, "unit_price": "89.00"}],
        "currency": "USD",
        "placed_at": "2025-05-01T10:00:00Z",
        **overrides,
    }


@pytest.mark.parametrize(
    "change, field, rule",
    [
        ({"currency": "ZZZ"}, "currency", "iso_4217"),
        ({"placed_at": "0001-01-01T00:00:00Z"}, "placed_at", "date_range"),
        ({"placed_at": "2999-01-01T00:00:00Z"}, "placed_at", "date_range"),
        ({"placed_at": "2026-01-01T00:00:00+19:03"}, "placed_at", "utc_offset_range"),
        ({"placed_at": "2025-02-30T00:00:00Z"}, "placed_at", "iso_8601_datetime"),
        (
            {"lines": [{"sku": "A", "quantity": 2**63, "unit_price": "1.00"}]},
            "lines[0].quantity",
            "max_value",
        ),
        ({"total": "1e30"}, "total", "max_value"),
        ({"shipping_address": {"line1": "1 Main St", "floor": "4"}}, "shipping_address.floor", "unknown_part"),
        ({"shipping_address": {"line1": "1 Main St", "country": "ZZ"}}, "shipping_address.country", "iso_3166_1"),
        ({"shipping_address": {"line1": {"deep": {"er": 1}}}}, "shipping_address.line1", "invalid"),
        ({"shipping_address": "1 Main St"}, "shipping_address", "object"),
    ],
)
def test_a_native_order_out_of_bounds_fails_naming_field_and_rule(channel_of, partner_api, change, field, rule):
    # given a POS channel (no address needed) and a partner for it
    pos = channel_of("pos", secret="")
    client = partner_api(pos)

    # when an order with one value out of bounds is taken in and processed
    assert client.post(INTAKE, {"sales_channel": pos.slug, **native(**change)}, format="json").status_code == 202
    [record] = process_received()

    # then it failed on that field and rule, and no order exists
    assert record.status == R.FAILED
    assert (field, rule) in [(e["field"], e["rule"]) for e in record.errors], record.errors
    assert Order.objects.count() == 0


def test_a_native_order_with_too_many_lines_fails_on_lines(channel_of, partner_api):
    pos = channel_of("pos", secret="")
    client = partner_api(pos)
    lines = [{"sku": f"S-{i}", "quantity": 1, "unit_price": "1.00"} for i in range(settings.ORDER_MAX_LINES + 1)]

    client.post(INTAKE, {"sales_channel": pos.slug, **native(lines=lines)}, format="json")
    [record] = process_received()

    assert record.status == R.FAILED
    assert [(e["field"], e["rule"]) for e in record.errors] == [("lines", "max_items")]
    assert Order.objects.count() == 0


def test_a_yen_order_with_a_full_address_goes_through(channel_of, catalogue, partner_api):
    # given an order in JPY with every address part
    pos = channel_of("pos", secret="")
    client = partner_api(pos)
    address = {
        "name": "Yuki Tanaka",
        "company": "Tanaka Shoten",
        "line1": "1-2-3 Shibuya",
        "line2": "Apt 402",
        "city": "Shibuya-ku",
        "region": "Tokyo",
        "postal_code": "150-0002",
        "country": "jp",
        "phone": "+81312345678",
    }

    # when it is taken in
    client.post(INTAKE, {"sales_channel": pos.slug, **native(currency="JPY", shipping_address=address)}, format="json")
    [record] = process_received()

    # then the order holds the address in its shape, the country upper-cased
    assert record.status == R.PROCESSED, record.errors
    order = Order.objects.get()
    assert order.currency == "JPY" and order.shipping_address == {**address, "country": "JP"}


def test_a_marketplace_row_in_no_real_currency_fails(channel_of, catalogue, partner_api):
    # given a report whose first order is in ZZZ
    market = channel_of("marketplace", secret="")
    rows = marketplace_json_rows()[:1]
    rows[0]["currency"] = "ZZZ"

    # when it is posted and processed
    partner_api(market).post("/api/v1/intake/marketplace/", {"sales_channel": market.slug, "rows": rows}, format="json")
    [record] = process_received()

    # then it failed on the currency
    assert record.status == R.FAILED
    assert [(e["field"], e["rule"]) for e in record.errors] == [("currency", "iso_4217")]


def test_shop_addresses_arrive_in_the_address_shape(channel_of, catalogue, post_shopify, post_woo):
    # given a Shopify order and a WooCommerce order, each shipped to a company
    shop, woo = channel_of("shopify"), channel_of("woocommerce")
    shopify = shopify_order()
    shopify["shipping_address"] = {**shopify["shipping_address"], "company": "Winterfell Ltd"}
    woocommerce = copy.deepcopy(WOO_ORDER)
    woocommerce["shipping"] = {**woocommerce["shipping"], "company": "Schmidt GmbH"}

    # when both are taken in
    post_shopify(shop, "orders/create", body_of(shopify))
    post_woo(woo, "order.created", body_of(woocommerce))
    records = process_received()

    # then both addresses hold only the address parts, the company among them
    assert [r.status for r in records] == [R.PROCESSED, R.PROCESSED], [r.errors for r in records]
    from_shopify = Order.objects.get(sales_channel=shop).shipping_address
    from_woo = Order.objects.get(sales_channel=woo).shipping_address
    assert from_shopify == {
        "name": "Jon Snow",
        "company": "Winterfell Ltd",
        "line1": "1 Wall St",
        "city": "New York",
        "region": "NY",
        "postal_code": "10005",
        "country": "US",
        "phone": "+14155550123",
    }
    assert from_woo["company"] == "Schmidt GmbH" and from_woo["country"] == "DE" and from_woo["city"] == "Berlin"
