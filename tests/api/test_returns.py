"""Returns through the partner API: opening one for order lines, advancing it with each
milestone's fields, 409s with allowed states, validation and isolation."""

from returns.models import ReturnRequest
from returns.signals import return_status_changed
from tests.factories import OrderFactory, ReturnRequestFactory

URL = "/api/v1/returns/"


def _open(client, order, quantity=1, **extra):
    return client.post(
        URL,
        {
            "order": order["id"],
            "reason": "Too small",
            "lines": [{"line_id": order["lines"][0]["id"], "quantity": quantity}],
            **extra,
        },
        format="json",
    )


def test_open_a_return_and_repeat_by_external_id(partner_client, create_order):
    # given an order with two shoes
    order = create_order("1001")

    # when a return for one shoe is opened twice with the same external id
    first = _open(partner_client, order, external_id="RMA-1")
    again = _open(partner_client, order, external_id="RMA-1")

    # then one return exists, requested, with the estimated refund
    assert first.status_code == 201, first.json()
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    body = first.json()
    assert body["status"] == "requested" and body["refund_estimate"] == "59.90"
    assert body["lines"] == [{"line_id": order["lines"][0]["id"], "sku": "SHOE-1", "quantity": 1}]
    assert ReturnRequest.objects.count() == 1


def test_return_validation(partner_client, create_order, foreign_channel):
    # given an order with two shoes, and a foreign order
    order = create_order("1001")
    foreign = OrderFactory(sales_channel=foreign_channel)

    # when returns are opened for too many, for no lines, for a foreign order, for an unknown line
    too_many = _open(partner_client, order, quantity=3)
    no_lines = partner_client.post(URL, {"order": order["id"], "reason": "x", "lines": []}, format="json")
    foreign_order = partner_client.post(
        URL, {"order": foreign.pk, "reason": "x", "lines": [{"line_id": 1, "quantity": 1}]}, format="json"
    )
    unknown_line = partner_client.post(
        URL, {"order": order["id"], "reason": "x", "lines": [{"line_id": 999999, "quantity": 1}]}, format="json"
    )

    # then each is a 400 naming the field, and nothing is created
    assert too_many.status_code == 400
    assert too_many.json()["fields"]["lines"] == ["SKU SHOE-1: can return at most 2, asked for 3."]
    assert no_lines.json()["fields"]["lines"] == ["A return needs at least one line."]
    assert foreign_order.json()["fields"]["order"] == [f"No order with id {foreign.pk} in your sales channels."]
    assert unknown_line.json()["fields"]["lines"] == ["Line 999999 is not a line of order 1001."]
    assert not ReturnRequest.objects.exists()


def test_advance_a_return_through_its_milestones(partner_client, create_order):
    # given a requested return
    order = create_order("1001")
    ret = _open(partner_client, order).json()
    seen = []
    return_status_changed.connect(
        lambda sender, to_status, **kw: seen.append(to_status), weak=False, dispatch_uid="test-returns-api"
    )

    def move(status, **fields):
        response = partner_client.post(f"{URL}{ret['id']}/transition/", {"status": status, **fields}, format="json")
        assert response.status_code == 200, response.json()
        return response.json()

    try:
        # when it goes approved -> label issued -> in transit -> received -> inspected -> refund -> refunded
        move("approved")
        labelled = move(
            "label_issued",
            return_carrier="ups",
            return_tracking_number="1ZRET",
            label_url="https://labels.example/1ZRET.pdf",
        )
        move("in_transit")
        move("received")
        inspected = move("inspected", inspection_result="accepted", inspection_notes="As new")
        move("refund_processing")
        refunded = move("refunded", refund_amount="59.90")
    finally:
        return_status_changed.disconnect(dispatch_uid="test-returns-api")

    # then each milestone kept its fields and one signal was sent per move
    assert labelled["return_tracking_number"] == "1ZRET"
    assert inspected["inspection_result"] == "accepted"
    assert refunded["status"] == "refunded" and refunded["refund_amount"] == "59.90"
    assert seen == ["approved", "label_issued", "in_transit", "received", "inspected", "refund_processing", "refunded"]


def test_milestone_fields_are_checked(partner_client, create_order):
    # given an approved return
    order = create_order("1001")
    ret = _open(partner_client, order).json()
    partner_client.post(f"{URL}{ret['id']}/transition/", {"status": "approved"}, format="json")

    # when it is labelled without a tracking number, or with a field that milestone does not carry
    missing = partner_client.post(f"{URL}{ret['id']}/transition/", {"status": "label_issued"}, format="json")
    unexpected = partner_client.post(
        f"{URL}{ret['id']}/transition/",
        {"status": "label_issued", "return_tracking_number": "1Z", "refund_amount": "5.00"},
        format="json",
    )

    # then the field is named and the return has not moved
    assert missing.status_code == 400
    assert missing.json()["fields"]["return_tracking_number"] == ["Required when moving to 'label_issued'."]
    assert unexpected.json()["fields"]["refund_amount"] == ["Not set when moving to 'label_issued'."]
    assert ReturnRequest.objects.get().status == "approved"


def test_invalid_return_transition_is_409(partner_client, create_order):
    # given a requested return
    order = create_order("1001")
    ret = _open(partner_client, order).json()

    # when it is asked to be received before approval
    response = partner_client.post(f"{URL}{ret['id']}/transition/", {"status": "received"}, format="json")

    # then 409 with the allowed next states
    assert response.status_code == 409
    assert response.json()["allowed"] == ["approved", "rejected"]


def test_returns_are_scoped_and_filterable(partner_client, create_order, foreign_channel):
    # given two of the partner's returns, one approved, and a foreign one
    order = create_order("1001")
    first = _open(partner_client, order).json()
    second = _open(partner_client, order).json()
    partner_client.post(f"{URL}{second['id']}/transition/", {"status": "approved"}, format="json")
    foreign = ReturnRequestFactory(order=OrderFactory(sales_channel=foreign_channel))

    def ids(**params):
        return {r["id"] for r in partner_client.get(URL, params).json()["results"]}

    # then the filters work on the partner's returns only, and the foreign one is 404
    assert ids() == {first["id"], second["id"]}
    assert ids(status="approved") == {second["id"]}
    assert ids(order=order["id"]) == {first["id"], second["id"]}
    assert ids(order=foreign.order_id) == set()
    assert partner_client.get(f"{URL}{foreign.pk}/").status_code == 404
    moved = partner_client.post(f"{URL}{foreign.pk}/transition/", {"status": "approved"}, format="json")
    assert moved.status_code == 404
