"""Orders through the partner API: intake with lines and customer, repeat safety (external id and
Idempotency-Key), filters, transitions with 409s, partner isolation and validation."""

import pytest

from customers.models import Customer
from orders.models import Order, OrderLine
from orders.signals import order_status_changed
from tests.factories import OrderFactory

URL = "/api/v1/orders/"


@pytest.fixture
def order_signals():
    received = []

    def receiver(sender, instance, to_status, **kwargs):
        received.append((instance.pk, to_status))

    order_status_changed.connect(receiver, weak=False)
    yield received
    order_status_changed.disconnect(receiver)


def test_create_order_with_lines_and_upserted_customer(partner_client, order_payload, channel):
    # given an order for a new customer
    # when it is posted
    response = partner_client.post(URL, order_payload("1001"), format="json")

    # then the order, its lines and its customer exist, with the totals computed
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sales_channel"] == channel.slug and body["status"] == "placed"
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [("SHOE-1", 2), ("SOCK-1", 1)]
    assert body["subtotal"] == "129.70" and body["currency"] == "MXN"
    assert body["shipments"] == []
    customer = Customer.objects.get()
    assert body["customer"] == customer.pk
    assert (customer.phone, customer.language) == ("+525512345678", "es-MX")


def test_same_external_id_twice_returns_the_first_order(partner_client, order_payload, order_signals):
    # given an order already received
    first = partner_client.post(URL, order_payload("1001"), format="json")

    # when the shop sends it again (with different content)
    again = partner_client.post(URL, order_payload("1001", currency="EUR"), format="json")

    # then the first order is returned with 200 and nothing new is created or sent
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 2
    assert len(order_signals) == 1


def test_same_idempotency_key_twice_replays_the_first_response(partner_client, order_payload, order_signals):
    # given an order posted with an Idempotency-Key
    first = partner_client.post(URL, order_payload("1001"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # when the same request is repeated with the same key
    replay = partner_client.post(URL, order_payload("1001"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # then the stored response is replayed (same status and body) and one order exists
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert len(order_signals) == 1


def test_same_idempotency_key_with_another_body_is_422(partner_client, order_payload):
    # given a key already used for one order
    partner_client.post(URL, order_payload("1001"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # when it is reused for a different order
    response = partner_client.post(URL, order_payload("1002"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # then the API refuses and creates nothing
    assert response.status_code == 422
    assert "different request" in response.json()["fields"]["Idempotency-Key"][0]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["1001"]


def test_a_failed_request_does_not_burn_its_idempotency_key(partner_client, order_payload):
    # given a request that fails validation under a key
    bad = partner_client.post(URL, order_payload("1001", lines=[]), format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # when the corrected request is sent with a new body under the same key
    good = partner_client.post(URL, order_payload("1001"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # then the first was a 400 and the retry goes through
    assert bad.status_code == 400
    assert good.status_code == 201


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"lines": []}, "lines", "An order needs at least one line."),
        ({"currency": "dollars"}, "currency", "'dollars' is not an ISO 4217 currency code in use (e.g. USD, JPY)."),
    ],
)
def test_order_level_validation(partner_client, order_payload, change, field, message):
    # given an order with one bad field
    # when it is posted
    response = partner_client.post(URL, order_payload("1001", **change), format="json")

    # then that field carries the message and nothing is created
    assert response.status_code == 400
    assert response.json()["fields"][field] == [message]
    assert not Order.objects.exists() and not Customer.objects.exists()


def test_missing_lines_and_customer_are_required(partner_client, channel):
    # given an order with neither lines nor customer
    # when it is posted
    response = partner_client.post(URL, {"sales_channel": channel.slug, "external_id": "1"}, format="json")

    # then both are reported
    assert response.status_code == 400
    assert response.json()["fields"]["lines"] == ["This field is required."]
    assert response.json()["fields"]["customer"] == ["This field is required."]


def test_line_and_customer_errors_are_nested_by_field(partner_client, order_payload):
    # given a negative quantity on the second line and a bad phone and language for the customer
    payload = order_payload("1001")
    payload["lines"][1]["quantity"] = -1
    payload["customer"].update(phone="+14155550", language="zz-ZZ-qq")

    # when it is posted
    response = partner_client.post(URL, payload, format="json")

    # then the messages sit under the failing line's index and the customer's fields
    assert response.status_code == 400
    errors = response.json()["fields"]
    assert errors["lines[1].quantity"] == ["Ensure this value is greater than or equal to 1."]
    assert "language tag" in errors["customer.language"][0]
    assert not Order.objects.exists()


def test_bad_phone_is_reported_on_the_customer_phone(partner_client, order_payload):
    # given a customer block with an invalid phone
    payload = order_payload("1001")
    payload["customer"]["phone"] = "+14155550"

    # when it is posted
    response = partner_client.post(URL, payload, format="json")

    # then the message names the phone
    assert response.status_code == 400
    assert "not a valid phone number" in response.json()["fields"]["customer.phone"][0]


def test_creating_in_a_foreign_channel_is_400(partner_client, order_payload, foreign_channel):
    # given an order naming a channel the partner lacks
    # when it is posted
    response = partner_client.post(URL, order_payload("1001", sales_channel=foreign_channel.slug), format="json")

    # then sales_channel is rejected like an unknown one
    assert response.status_code == 400
    assert response.json()["fields"]["sales_channel"] == [
        f"'{foreign_channel.slug}' is not one of your sales channels."
    ]
    assert not Order.objects.exists()


def test_another_channels_order_is_404_and_not_listed(partner_client, create_order, foreign_channel):
    # given one of the partner's orders and one in a foreign channel
    mine = create_order("1001")
    foreign = OrderFactory(sales_channel=foreign_channel)

    # when the partner lists, retrieves and transitions
    listed = partner_client.get(URL).json()
    detail = partner_client.get(f"{URL}{foreign.pk}/")
    transition = partner_client.post(f"{URL}{foreign.pk}/transition/", {"status": "cancelled"}, format="json")
    shipment = partner_client.post(
        f"{URL}{foreign.pk}/shipments/", {"carrier": "ups", "tracking_number": "1"}, format="json"
    )

    # then only its own order is visible; the foreign one is 404 everywhere and unchanged
    assert [o["id"] for o in listed["results"]] == [mine["id"]]
    assert detail.status_code == transition.status_code == shipment.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "placed"


def test_filters(partner_client, create_order, channel):
    # given three orders placed at different times, one cancelled
    a = create_order("A", placed_at="2025-01-01T10:00:00Z")
    b = create_order("B", placed_at="2025-02-01T10:00:00Z")
    c = create_order("C", placed_at="2025-03-01T10:00:00Z")
    partner_client.post(f"{URL}{c['id']}/transition/", {"status": "cancelled"}, format="json")

    def ids(**params):
        response = partner_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return {o["external_id"] for o in response.json()["results"]}

    # then each filter narrows the list
    assert ids(status="cancelled") == {"C"}
    assert ids(sales_channel=channel.slug) == {"A", "B", "C"}
    assert ids(sales_channel="rival-web") == set()
    assert ids(customer=a["customer"]) == {"A", "B", "C"}
    assert ids(placed_after="2025-01-15T00:00:00Z") == {"B", "C"}
    assert ids(placed_before="2025-02-15T00:00:00Z") == {"A", "B"}
    assert ids(external_id="B") == {b["external_id"]}


def test_list_is_paginated(partner_client, create_order):
    # given three orders
    for n in range(3):
        create_order(f"P{n}")

    # when a page of two is asked for
    page = partner_client.get(URL, {"limit": 2}).json()

    # then the count covers all and the page holds two
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


def test_transition_moves_the_order_once(partner_client, create_order, order_signals):
    # given a placed order
    order = create_order("1001")
    order_signals.clear()

    # when it is moved to processing
    response = partner_client.post(f"{URL}{order['id']}/transition/", {"status": "processing"}, format="json")

    # then it is processing and exactly one signal was sent
    assert response.status_code == 200
    assert response.json()["status"] == "processing"
    assert order_signals == [(order["id"], "processing")]


def test_invalid_transition_is_409_with_allowed_states(partner_client, create_order, order_signals):
    # given a cancelled order
    order = create_order("1001")
    partner_client.post(f"{URL}{order['id']}/transition/", {"status": "cancelled"}, format="json")
    order_signals.clear()

    # when it is asked to move to processing
    response = partner_client.post(f"{URL}{order['id']}/transition/", {"status": "processing"}, format="json")

    # then the answer is 409 naming the current state and the (empty) allowed list; nothing moved
    assert response.status_code == 409
    body = response.json()
    assert (body["current"], body["requested"], body["allowed"]) == ("cancelled", "processing", [])
    assert order_signals == []


def test_409_lists_the_allowed_next_states(partner_client, create_order):
    # given a placed order
    order = create_order("1001")

    # when it is asked to jump to delivered
    response = partner_client.post(f"{URL}{order['id']}/transition/", {"status": "delivered"}, format="json")

    # then the allowed next states are listed
    assert response.status_code == 409
    assert response.json()["allowed"] == ["cancelled", "partially_shipped", "processing", "shipped"]


def test_unknown_status_is_400(partner_client, create_order):
    # given an order
    order = create_order("1001")

    # when it is asked to move to a status that does not exist
    response = partner_client.post(f"{URL}{order['id']}/transition/", {"status": "teleported"}, format="json")

    # then it is a 400 on status
    assert response.status_code == 400
    assert response.json()["fields"]["status"] == ['"teleported" is not a valid choice.']


def test_the_number_the_customer_sees_is_taken_and_returned(partner_client, order_payload):
    # given an order whose id in the shop differs from the number its customer reads
    payload = order_payload("6102938475610", number="#1042")

    # when it is posted, and another without a number
    first = partner_client.post(URL, payload, format="json")
    second = partner_client.post(URL, order_payload("1043"), format="json")

    # then the first reads 1042 and keeps its id; the second's number is its id
    assert first.status_code == 201, first.json()
    assert (first.json()["external_id"], first.json()["number"]) == ("6102938475610", "1042")
    assert second.json()["number"] == "1043"
