"""Input held to its bounds through the partner API: ISO currencies and countries, dates from 2000
to 2100 (a past moment at most a day ahead), integers within their columns, at most
ORDER_MAX_LINES lines, one address shape, pages and date filters that refuse what the database
cannot take; and answers that say what the schema says (null links, HH:MM times). Each refusal
is a 400 naming the field and the rule, and writes nothing."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from core.bounds import MAX_LINE_QUANTITY, MAX_STOCK
from customers.models import Customer, CustomerIdentity
from inventory.models import Product
from orders.models import Order, OrderLine, Shipment, ShipmentEvent
from returns.models import ReturnRequest
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, StockLevelFactory

ORDERS = "/api/v1/orders/"
FULL_ADDRESS = {
    "name": "Yuki Tanaka",
    "company": "Tanaka Shoten",
    "line1": "1-2-3 Shibuya",
    "line2": "Apt 402",
    "city": "Shibuya-ku",
    "region": "Tokyo",
    "postal_code": "150-0002",
    "country": "JP",
    "phone": "+81312345678",
}


def refused(response, path: str) -> list[str]:
    """The messages of a 400 on ``path``, in the one error shape."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and path in body["fields"], body
    assert path in body["detail"]
    return body["fields"][path]


def nothing_written():
    return Order.objects.count() == 0 and OrderLine.objects.count() == 0 and Customer.objects.count() == 0


# --- Currencies and countries ----------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["ZZZ", "XXX", "DEM", "US"])
def test_an_order_in_no_real_currency_is_refused(partner_client, order_payload, currency):
    # given an order whose currency is not an ISO 4217 currency in use
    # when it is posted
    response = partner_client.post(ORDERS, order_payload(currency=currency), format="json")

    # then the currency is named and nothing is stored
    assert "ISO 4217" in refused(response, "currency")[0]
    assert nothing_written()


@pytest.mark.parametrize("country", ["ZZ", "EU", "001", "UN", "XA"])
def test_a_customer_in_no_real_country_is_refused(partner_client, order_payload, country):
    # given an order whose customer's country is a region, a grouping or unknown
    payload = order_payload()
    payload["customer"] = {**payload["customer"], "country": country, "phone": "+525512345678"}

    # when it is posted
    response = partner_client.post(ORDERS, payload, format="json")

    # then the customer's country is named and nothing is stored
    assert "ISO 3166-1" in refused(response, "customer.country")[0]
    assert nothing_written()


def test_a_yen_order_for_a_mexican_customer_passes(partner_client, order_payload):
    # given real-world values: JPY (no minor unit), a Mexican customer, lower-case codes
    payload = order_payload(currency="jpy")
    payload["customer"] = {**payload["customer"], "country": "mx"}

    # when it is posted
    response = partner_client.post(ORDERS, payload, format="json")

    # then it is taken in with the codes upper-cased
    assert response.status_code == 201, response.json()
    assert response.json()["currency"] == "JPY"
    assert Customer.objects.get().country == "MX"


def test_the_customers_api_refuses_an_unknown_country(partner_client, channel):
    # given a customer upsert with country ZZ
    payload = {"sales_channel": channel.slug, "external_id": "c-9", "name": "Zed", "country": "ZZ"}

    # when it is posted
    response = partner_client.post("/api/v1/customers/", payload, format="json")

    # then the country is named and no customer is stored
    refused(response, "country")
    assert Customer.objects.count() == 0


def test_a_product_in_no_real_currency_is_refused_and_yen_passes(partner_client, channel):
    # given a product priced in ZZZ and one in JPY
    bad = {"sales_channel": channel.slug, "sku": "B-1", "name": "Boot", "price": "10.00", "currency": "ZZZ"}
    good = {**bad, "sku": "B-2", "currency": "JPY"}

    # when both are posted
    bad_response = partner_client.post("/api/v1/products/", bad, format="json")
    good_response = partner_client.post("/api/v1/products/", good, format="json")

    # then only the yen product exists
    refused(bad_response, "currency")
    assert good_response.status_code == 201 and good_response.json()["currency"] == "JPY"
    assert list(Product.objects.values_list("sku", flat=True)) == ["B-2"]


# --- Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "placed_at, rule",
    [
        ("0001-01-01T00:00:00Z", "out of range"),
        ("1999-12-31T23:59:59Z", "out of range"),
        ("2100-01-01T00:00:00Z", "out of range"),
        ("2026-01-01T00:00:00+19:03", "UTC offset"),
        ("0001-01-01T00:00:00+05:00", "out of range"),
    ],
)
def test_an_order_placed_outside_the_date_range_is_refused(partner_client, order_payload, placed_at, rule):
    # given an order placed in year 1, before 2000, in 2100 or at an impossible offset
    # when it is posted
    response = partner_client.post(ORDERS, order_payload(placed_at=placed_at), format="json")

    # then placed_at is named with the rule it broke and nothing is stored
    assert rule in refused(response, "placed_at")[0]
    assert nothing_written()


def test_an_order_placed_days_ahead_is_refused_but_one_placed_tomorrow_by_a_fast_clock_passes(
    partner_client, order_payload
):
    # given an order placed three days from now and one placed twenty hours from now
    ahead = (timezone.now() + dt.timedelta(days=3)).isoformat()
    fast_clock = (timezone.now() + dt.timedelta(hours=20)).isoformat()

    # when both are posted
    refused_response = partner_client.post(ORDERS, order_payload("1", placed_at=ahead), format="json")
    accepted = partner_client.post(ORDERS, order_payload("2", placed_at=fast_clock), format="json")

    # then only the one within a day is taken in
    assert "future" in refused(refused_response, "placed_at")[0]
    assert accepted.status_code == 201, accepted.json()
    assert list(Order.objects.values_list("external_id", flat=True)) == ["2"]


def test_a_carrier_scan_from_year_one_is_refused(partner_client, create_order):
    # given a shipment
    order = create_order()
    shipment = partner_client.post(
        f"{ORDERS}{order['id']}/shipments/", {"carrier": "ups", "tracking_number": "1Z1"}, format="json"
    ).json()

    # when a scan dated year 1 is posted for it
    response = partner_client.post(
        f"/api/v1/shipments/{shipment['id']}/events/",
        {"status": "in_transit", "occurred_at": "0001-01-01T00:00:00Z"},
        format="json",
    )

    # then occurred_at is named and no event is stored
    refused(response, "occurred_at")
    assert ShipmentEvent.objects.count() == 0


def test_a_restock_date_in_year_one_is_refused(partner_client, channel):
    # given a product with stock
    level = StockLevelFactory(product=ProductFactory(brand=channel.brand, sku="S-1"), on_hand=3)

    # when a restock date of year 1 is posted
    response = partner_client.post("/api/v1/stock-levels/", {"sku": "S-1", "restock_eta": "0001-01-01"}, format="json")

    # then restock_eta is named and the level is unchanged
    refused(response, "restock_eta")
    level.refresh_from_db()
    assert level.restock_eta is None


# --- Integers and list lengths ----------------------------------------------------------------


@pytest.mark.parametrize("quantity", [2**63, 2**31, MAX_LINE_QUANTITY + 1, 0, -1])
def test_a_line_quantity_beyond_its_bound_is_refused(partner_client, order_payload, quantity):
    # given an order whose second line asks for an impossible quantity
    payload = order_payload()
    payload["lines"][1]["quantity"] = quantity

    # when it is posted
    response = partner_client.post(ORDERS, payload, format="json")

    # then that line's quantity is named and nothing is stored
    refused(response, "lines[1].quantity")
    assert nothing_written()


def test_the_largest_allowed_quantity_passes(partner_client, order_payload):
    payload = order_payload()
    payload["lines"][0]["quantity"] = MAX_LINE_QUANTITY

    response = partner_client.post(ORDERS, payload, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["quantity"] == MAX_LINE_QUANTITY


def test_too_many_lines_are_refused_and_the_maximum_passes(partner_client, order_payload):
    # given an order with one line more than allowed, and one with exactly the maximum
    line = {"sku": "SKU", "name": "Pin", "quantity": 1, "unit_price": "1.00"}
    too_many = [{**line, "sku": f"SKU-{i}"} for i in range(settings.ORDER_MAX_LINES + 1)]

    # when both are posted
    refused_response = partner_client.post(ORDERS, order_payload("1", lines=too_many), format="json")
    accepted = partner_client.post(ORDERS, order_payload("2", lines=too_many[:-1]), format="json")

    # then the first is refused on `lines` and writes nothing; the second is whole
    assert refused(refused_response, "lines") == [f"An order has at most {settings.ORDER_MAX_LINES} lines."]
    assert accepted.status_code == 201
    assert Order.objects.get().external_id == "2"
    assert OrderLine.objects.count() == settings.ORDER_MAX_LINES


@pytest.mark.parametrize(
    "change, path",
    [
        ({"on_hand": 2**63}, "on_hand"),
        ({"on_hand": -1}, "on_hand"),
        ({"delta": -(2**63)}, "delta"),
        ({"reserved": MAX_STOCK + 1}, "reserved"),
        ({"low_stock_threshold": 2**31}, "low_stock_threshold"),
    ],
)
def test_stock_numbers_beyond_their_column_are_refused(partner_client, channel, change, path):
    # given a product with 3 on hand
    level = StockLevelFactory(product=ProductFactory(brand=channel.brand, sku="S-1"), on_hand=3)

    # when an out-of-range number is posted
    response = partner_client.post("/api/v1/stock-levels/", {"sku": "S-1", **change}, format="json")

    # then it is named and the level is unchanged
    refused(response, path)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.low_stock_threshold) == (3, 0, 5)


def test_a_delta_that_would_take_on_hand_past_its_bound_is_refused(partner_client, channel):
    # given a product with the most stock there may be
    level = StockLevelFactory(product=ProductFactory(brand=channel.brand, sku="S-1"), on_hand=MAX_STOCK)

    # when one more is added
    response = partner_client.post("/api/v1/stock-levels/", {"sku": "S-1", "delta": 1}, format="json")

    # then the delta is refused and on hand is as it was
    refused(response, "delta")
    level.refresh_from_db()
    assert level.on_hand == MAX_STOCK


def test_shipment_and_return_line_quantities_are_bounded(partner_client, create_order):
    # given an order with two lines
    order = create_order()
    line_id = order["lines"][0]["id"]

    # when a shipment and a return ask for 2**63 units of its first line
    shipment = partner_client.post(
        f"{ORDERS}{order['id']}/shipments/",
        {"carrier": "ups", "tracking_number": "1Z1", "lines": [{"line_id": line_id, "quantity": 2**63}]},
        format="json",
    )
    ret = partner_client.post(
        "/api/v1/returns/",
        {"order": order["id"], "reason": "Too big", "lines": [{"line_id": 2**63, "quantity": 2**63}]},
        format="json",
    )

    # then each quantity is named and neither is stored
    refused(shipment, "lines[0].quantity")
    assert refused(ret, "lines[0].quantity") and "lines[0].line_id" in ret.json()["fields"]
    assert Shipment.objects.count() == 0 and ReturnRequest.objects.count() == 0


# --- The address ---------------------------------------------------------------------------------


def test_an_address_with_every_part_is_stored_and_read_back(partner_client, order_payload):
    # given an order with a full Japanese address
    # when it is posted
    response = partner_client.post(ORDERS, order_payload(shipping_address=FULL_ADDRESS), format="json")

    # then the address is stored and answered as sent
    assert response.status_code == 201, response.json()
    assert response.json()["shipping_address"] == FULL_ADDRESS
    assert Order.objects.get().shipping_address == FULL_ADDRESS


@pytest.mark.parametrize(
    "address, path",
    [
        ({**FULL_ADDRESS, "floor": "4"}, "shipping_address.floor"),
        ({**FULL_ADDRESS, "country": "ZZ"}, "shipping_address.country"),
        ({**FULL_ADDRESS, "line1": "x" * 201}, "shipping_address.line1"),
        ({**FULL_ADDRESS, "city": {"a": {"b": {"c": "deep"}}}}, "shipping_address.city"),
    ],
)
def test_an_address_of_another_shape_is_refused(partner_client, order_payload, address, path):
    # given an order whose address has an unknown part, a bad country, a too long or nested part
    # when it is posted
    response = partner_client.post(ORDERS, order_payload(shipping_address=address), format="json")

    # then that part is named and nothing is stored
    refused(response, path)
    assert nothing_written()


def test_a_nested_address_is_refused_on_its_part(partner_client, order_payload):
    # given an address with a part nested 5 levels deep (deeper bodies stop at the request guard)
    deep: dict = {}
    for _ in range(5):
        deep = {"x": deep}

    # when it is posted
    response = partner_client.post(ORDERS, order_payload(shipping_address={"extra": deep}), format="json")

    # then the address refuses the unknown part and nothing is stored
    refused(response, "shipping_address.extra")
    assert nothing_written()


def test_a_stored_address_of_the_old_free_shape_still_reads(partner_client, channel):
    # given an order stored before addresses had one shape
    OrderFactory(
        sales_channel=channel,
        customer=CustomerFactory(brand=channel.brand),
        shipping_address={"city": "Lyon", "country": "FR", "street": "1 rue X"},
    )

    # when it is read
    response = partner_client.get(ORDERS)

    # then it is answered in the address shape
    assert response.status_code == 200
    assert response.json()["results"][0]["shipping_address"] == {"city": "Lyon", "country": "FR"}


# --- Pages and filters ---------------------------------------------------------------------------


@pytest.fixture
def products(channel):
    return ProductFactory.create_batch(201, brand=channel.brand)


@pytest.mark.parametrize("url", ["/api/v1/products/", "/api/v1/stock-levels/", ORDERS, "/api/v1/notifications/"])
@pytest.mark.parametrize(
    "query, param",
    [
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("offset=1000001", "offset"),
        ("offset=" + "9" * 5000, "offset"),
        ("limit=", "limit"),
    ],
)
def test_a_bad_limit_or_offset_is_a_400_naming_it(partner_client, url, query, param):
    # when a list is asked for with a bad page parameter
    response = partner_client.get(f"{url}?{query}")

    # then the parameter is named, not ignored and not a server error
    refused(response, param)


def test_a_large_limit_gives_the_largest_page(partner_client, products):
    # given 201 products
    # when the products are asked for with a limit past the page size but a 64-bit number
    response = partner_client.get("/api/v1/products/?limit=9223372036854775807")

    # then one page of 200 comes back, and the next link says 200
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 201 and len(body["results"]) == 200
    assert "limit=200" in body["next"]


@pytest.mark.parametrize("limit", ["9223372036854775808", "99999999999999999999", "9" * 5000])
def test_a_limit_past_any_integer_is_a_400_naming_it(partner_client, limit):
    response = partner_client.get(f"/api/v1/products/?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()["fields"]


def test_a_page_of_200_and_the_last_offset_pass(partner_client, products):
    page = partner_client.get("/api/v1/products/?limit=200&offset=1")
    far = partner_client.get("/api/v1/products/?offset=1000000")

    assert page.status_code == 200 and len(page.json()["results"]) == 200
    assert far.status_code == 200 and far.json()["results"] == []


@pytest.mark.parametrize(
    "query, param",
    [
        ("placed_before=2026-01-01T00:00:00%2B19:03", "placed_before"),
        ("placed_after=2026-01-01T00:00:00-16:00", "placed_after"),
        ("placed_after=yesterday", "placed_after"),
        ("placed_after=2026-02-30T00:00:00Z", "placed_after"),
        ("placed_before=0001-01-01T00:00:00Z", "placed_before"),
        ("customer=99999999999999999999", "customer"),
        ("customer=1.5", "customer"),
    ],
)
def test_a_bad_order_filter_is_a_400_naming_it(partner_client, query, param):
    response = partner_client.get(f"{ORDERS}?{query}")

    refused(response, param)


def test_date_filters_with_real_offsets_pass(partner_client, create_order):
    # given an order placed now
    create_order(placed_at=timezone.now().isoformat())

    # when it is filtered with India's and Chatham's offsets
    after = partner_client.get(f"{ORDERS}?placed_after=2020-01-01T00:00:00%2B05:30")
    before = partner_client.get(f"{ORDERS}?placed_before=2020-01-01T00:00:00%2B13:45")

    # then the filters work
    assert after.status_code == 200 and after.json()["count"] == 1
    assert before.status_code == 200 and before.json()["count"] == 0


def test_other_id_filters_are_bounded(partner_client):
    for url in ("/api/v1/shipments/", "/api/v1/returns/", "/api/v1/notifications/"):
        refused(partner_client.get(f"{url}?order=99999999999999999999"), "order")


# --- What comes back ---------------------------------------------------------------------------


def test_missing_links_are_null_not_blank(partner_client, channel, create_order):
    # given a product without an image and a shipment without a tracking link
    partner_client.post(
        "/api/v1/products/",
        {"sales_channel": channel.slug, "sku": "B-1", "name": "Boot", "price": "10.00"},
        format="json",
    )
    order = create_order()
    partner_client.post(
        f"{ORDERS}{order['id']}/shipments/", {"carrier": "ups", "tracking_number": "1Z1"}, format="json"
    )

    # when they are read back
    product = partner_client.get("/api/v1/products/").json()["results"][0]
    read_order = partner_client.get(f"{ORDERS}{order['id']}/").json()
    shipment = partner_client.get("/api/v1/shipments/").json()["results"][0]

    # then the links are null
    assert product["image_url"] is None
    assert read_order["shipments"][0]["tracking_url"] is None and shipment["tracking_url"] is None


def test_quiet_hours_are_hh_mm_both_ways(partner_client, channel):
    # given a customer of the partner's channel
    customer = CustomerFactory(brand=channel.brand)
    CustomerIdentity.objects.create(customer=customer, sales_channel=channel, external_id="c-1")
    url = f"/api/v1/customers/{customer.pk}/preferences/"

    # when quiet hours are set as HH:MM, and as something else
    good = partner_client.put(url, {"quiet_hours": {"start": "21:30", "end": "07:05"}}, format="json")
    bad = partner_client.put(url, {"quiet_hours": {"start": "9pm"}}, format="json")

    # then HH:MM comes back as sent, and the other is named
    assert good.status_code == 200, good.json()
    assert (good.json()["quiet_hours"]["start"], good.json()["quiet_hours"]["end"]) == ("21:30", "07:05")
    assert refused(bad, "quiet_hours.start") == ["Use HH:MM (24-hour), e.g. 22:00."]


# --- The schema ---------------------------------------------------------------------------------


def test_the_schema_carries_the_bounds(client, db):
    # when the schema is read
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    # then pages, lines, quantities, currencies and the address shape have their bounds
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert params["limit"]["minimum"] == 1 and "200" in next(
        p["description"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert params["offset"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000}
    order_in = components["OrderCreateRequest"]["properties"]
    assert (order_in["lines"]["minItems"], order_in["lines"]["maxItems"]) == (1, settings.ORDER_MAX_LINES)
    assert components["OrderLineInputRequest"]["properties"]["quantity"]["maximum"] == MAX_LINE_QUANTITY
    address = components["AddressRequest"]["properties"]
    assert set(address) == set(FULL_ADDRESS) and address["line1"]["maxLength"] == 200
    assert components["AddressRequest"]["additionalProperties"] is False
    filters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert filters["customer"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    currency = components[order_in["currency"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
    assert "JPY" in currency["enum"] and "ZZZ" not in currency["enum"]
    quiet = components["QuietHoursRequest"]["properties"]["start"]
    assert quiet["pattern"] and "format" not in quiet
    assert components["Product"]["properties"]["image_url"].get("nullable") is True


def test_ids_beyond_the_id_column_are_not_found_or_refused(partner_client, create_order):
    # given an order
    create_order()
    huge = 2**64

    # when an order, a shipment's order and a return's order are named by an id past any id
    read = partner_client.get(f"{ORDERS}{huge}/")
    shipment = partner_client.post(
        "/api/v1/shipments/", {"order": huge, "carrier": "ups", "tracking_number": "1Z1"}, format="json"
    )
    ret = partner_client.post(
        "/api/v1/returns/", {"order": huge, "reason": "x", "lines": [{"line_id": 1, "quantity": 1}]}, format="json"
    )

    # then it is not found, or refused on that field; nothing is written
    assert read.status_code == 404
    refused(shipment, "order")
    refused(ret, "order")
    assert Shipment.objects.count() == 0 and ReturnRequest.objects.count() == 0
