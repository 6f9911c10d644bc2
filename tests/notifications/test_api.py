"""``/api/v1/notifications/``: a partner reads what its customers were told (each notification
with its deliveries, statuses and timestamps), only for its own sales channels, filtered by
customer, order, return, type and status. Rows come from the real pipeline run synchronously."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from inventory.models import BackInStockSubscription
from inventory.services import stock_level_update
from notifications.models import Notification
from preferences.models import ChannelConsent
from returns.services import return_create, return_transition
from tests.factories import ProductFactory, SalesChannelFactory
from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline, run_pipeline

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(partner_factory):
    """Two partners on channels of two brands; each channel's customer had a shipment delivered.
    The first also has an approved return, opted out of SMS, and was told an item is back in stock."""
    instant_pipeline()
    ours, theirs = SalesChannelFactory(slug="acme-web"), SalesChannelFactory(slug="rival-web")
    _, our_client = partner_factory(ours, name="acme")
    _, their_client = partner_factory(theirs, name="rival")
    ana, ana_order, ana_shipment = customer_with_shipment(channel=ours)
    bob, _bob_order, bob_shipment = customer_with_shipment(channel=theirs)
    ChannelConsent.objects.create(
        customer=ana, channel="sms", state=ChannelConsent.State.OPTED_OUT, source="sms_keyword"
    )
    for shipment in (ana_shipment, bob_shipment):
        carrier_scan(shipment, "delivered")
    ret, _ = return_create(order=ana_order, lines=[(ana_order.lines.get(), 1)], reason="Too small")
    return_transition(return_request=ret, to_status="approved", actor="partner:acme")
    tent = ProductFactory(brand=ours.brand, sku="TENT-9")
    BackInStockSubscription.objects.create(customer=ana, product=tent)
    stock_level_update(product=tent, on_hand=0)
    stock_level_update(product=tent, on_hand=5)
    run_pipeline()
    return {"ours": our_client, "theirs": their_client, "ana": ana, "bob": bob, "ana_order": ana_order, "return": ret}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {n["id"] for n in response.json()["results"]}


def test_a_partner_lists_only_its_customers_notifications(world):
    # when each partner lists notifications
    ours, theirs = ids(world["ours"].get(URL)), ids(world["theirs"].get(URL))

    # then each sees exactly its own customer's
    assert ours == set(Notification.objects.filter(customer=world["ana"]).values_list("id", flat=True))
    assert theirs == set(Notification.objects.filter(customer=world["bob"]).values_list("id", flat=True))
    assert ours and theirs and not ours & theirs


def test_another_channels_notification_is_404(world):
    # given a notification of the other partner's customer
    foreign = Notification.objects.filter(customer=world["bob"]).first()
    # when our partner asks for it, then it does not exist for them
    assert world["ours"].get(f"{URL}{foreign.pk}/").status_code == 404
    # and its owner can read it
    assert world["theirs"].get(f"{URL}{foreign.pk}/").status_code == 200


def test_a_notification_carries_its_deliveries_and_timestamps(world):
    # given the delivered "delivered" notification (email only: the customer opted out of SMS)
    notification = Notification.objects.get(customer=world["ana"], notification_type__key="shipment_delivered")

    # when the partner reads it
    body = world["ours"].get(f"{URL}{notification.pk}/").json()

    # then it says what was sent, on which channel, when, and why SMS was left out
    assert body["type"] == "shipment_delivered"
    assert body["status"] == "delivered"
    assert body["customer"] == world["ana"].pk and body["order"] == world["ana_order"].pk
    assert body["channels"] == ["email"] and body["skipped"] == {"sms": "no_consent"}
    assert body["created_at"] and body["updated_at"]
    [delivery] = body["deliveries"]
    assert delivery["channel"] == "email" and delivery["status"] == "delivered"
    assert delivery["sent_at"] and delivery["delivered_at"] and delivery["error"] == ""


@pytest.mark.parametrize(
    "params,expected_types",
    [
        ({"type": "shipment_delivered"}, {"shipment_delivered"}),
        ({"type": "return_approved"}, {"return_approved"}),
        ({"status": "delivered"}, {"order_confirmed", "shipment_delivered", "return_approved", "back_in_stock"}),
        ({"status": "not_sent"}, set()),
    ],
)
def test_filters_by_type_and_status(world, params, expected_types):
    response = world["ours"].get(URL, params)
    assert response.status_code == 200
    assert {n["type"] for n in response.json()["results"]} == expected_types


def test_filters_by_customer_order_and_return(world):
    client, ana = world["ours"], world["ana"]
    by_order = ids(client.get(URL, {"order": world["ana_order"].pk}))
    assert by_order == set(Notification.objects.filter(order=world["ana_order"]).values_list("id", flat=True))
    by_return = client.get(URL, {"return_request": world["return"].pk}).json()["results"]
    assert [n["type"] for n in by_return] == ["return_approved"]
    assert by_return[0]["return_request"] == world["return"].pk
    assert ids(client.get(URL, {"customer": ana.pk})) == ids(client.get(URL))
    # another partner's customer id filters to nothing, rather than revealing anything
    assert ids(client.get(URL, {"customer": world["bob"].pk})) == set()


def test_order_less_notifications_follow_the_customer_and_brand(world):
    # given the back-in-stock notification (no order: a stock event of our brand's product)
    notification = Notification.objects.get(customer=world["ana"], notification_type__key="back_in_stock")
    assert notification.order_id is None
    # then our partner sees it, the other partner does not
    assert world["ours"].get(f"{URL}{notification.pk}/").status_code == 200
    assert world["theirs"].get(f"{URL}{notification.pk}/").status_code == 404


def test_list_queries_do_not_grow_with_rows(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        world["ours"].get(URL)
    for _ in range(3):
        _c, _o, shipment = customer_with_shipment(channel=world["ana_order"].sales_channel)
        carrier_scan(shipment, "delivered")
    run_pipeline()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(world["ours"].get(URL).json()["results"]) > 6


def test_needs_a_partner_token(world):
    assert APIClient().get(URL).status_code == 401
