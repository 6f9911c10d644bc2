"""Marketplace order reports (CSV and JSON) uploaded in the admin or posted to the partner API:
one record per order; good, warning and bad rows; dead letters fixed and replayed."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from intake.models import IntakeRecord
from intake.selectors import dead_letters
from intake.services import intake_file_receive, intake_record_replay
from orders.models import Order
from tests.factories import CustomerFactory
from tests.intake.conftest import process_received
from tests.intake.samples import csv_row, marketplace_csv, marketplace_json_rows

pytestmark = pytest.mark.django_db
R = IntakeRecord.Status


def test_json_report_posted_to_the_api_gives_good_warning_and_bad_rows(
    channel_of, catalogue, partner_api, django_capture_on_commit_callbacks
):
    market = channel_of("marketplace", secret="")
    client = partner_api(market)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            "/api/v1/intake/marketplace/",
            {"sales_channel": market.slug, "rows": marketplace_json_rows()},
            format="json",
        )
    assert response.status_code == 202, response.content
    assert len(response.json()["records"]) == 3 and len(queued) == 1  # one on-commit callback queues all three

    good, relay, bad = process_received()
    assert (good.status, good.warnings) == (R.PROCESSED, [])
    # masked relay email: accepted, email not stored (email channel unusable), unknown SKU warned
    assert relay.status == R.WARNING
    assert {(w["field"], w["rule"]) for w in relay.warnings} == {
        ("customer.email", "masked_or_relay_email"),
        ("lines[0].sku", "unknown_sku"),
    }
    relay_order = Order.objects.get(external_id="114-0000002-0000002")
    assert relay_order.customer.email == ""
    # a quantity of "two" is a rejection naming the field and the rule
    assert bad.status == R.FAILED
    assert [(e["field"], e["rule"]) for e in bad.errors] == [("lines[0].quantity", "positive_integer")]
    assert not Order.objects.filter(external_id="114-0000003-0000003").exists()


def test_acceptance_2_bad_row_is_a_dead_letter_an_agent_fixes_and_replays_in_the_admin(channel_of, catalogue, client):
    # given a CSV report (Amazon's tab-separated flat file) with a good row and a row without a city
    market = channel_of("marketplace", secret="")
    agent = get_user_model().objects.create_superuser("agent", "agent@example.com", "pw")
    client.force_login(agent)
    report = marketplace_csv(csv_row("111-1"), csv_row("111-2", qty="0"))
    upload = client.post(
        "/admin/intake/intakerecord/upload/",
        {"sales_channel": market.pk, "file": SimpleUploadedFile("orders.txt", report)},
    )
    assert upload.status_code == 302
    process_received()

    # then the bad row is in the dead-letter list with its field and rule
    [failed] = dead_letters()
    assert failed.source == f"marketplace:{market.slug}"
    assert failed.errors[0]["field"] == "lines[0].quantity" and failed.errors[0]["rule"] == "positive_integer"
    listing = client.get("/admin/intake/intakerecord/?status__exact=failed")
    assert b"lines[0].quantity: positive_integer" in listing.content
    page = client.get(f"/admin/intake/intakerecord/{failed.pk}/change/")
    assert page.status_code == 200 and b"quantity-purchased" in page.content  # the raw payload is shown

    # when the agent fixes the quantity in the payload and saves with "replay"
    payload = failed.payload
    payload["rows"][0]["quantity-purchased"] = "1"
    saved = client.post(
        f"/admin/intake/intakerecord/{failed.pk}/change/", {"payload": json.dumps(payload), "replay_now": "on"}
    )
    assert saved.status_code == 302

    # then the order exists and the failure is resolved (by the agent)
    failed.refresh_from_db()
    assert (failed.status, failed.resolved_by, failed.errors) == (R.RESOLVED, "user:agent", [])
    assert Order.objects.filter(sales_channel=market, external_id="111-2").exists()
    assert list(dead_letters()) == []
    assert json.loads(failed.raw_body)["rows"][0]["quantity-purchased"] == "0"  # as received, kept


def test_replay_a_selection_from_the_admin_action(channel_of, catalogue, client):
    market = channel_of("marketplace", secret="")
    client.force_login(get_user_model().objects.create_superuser("agent", "agent@example.com", "pw"))
    intake_file_receive(
        sales_channel=market, content=marketplace_csv(csv_row("1", city="", address="")), filename="r.txt"
    )
    process_received()
    [failed] = dead_letters()
    assert failed.errors[0] == {
        "field": "shipping_address",
        "rule": "required_for_channel",
        "message": "a marketplace order must have a shipping address",
    }
    # the channel's account context allows orders without an address (e.g. digital goods)
    market.intake_settings.validation_overrides = {"shipping_address": "optional"}
    market.intake_settings.save()
    client.post("/admin/intake/intakerecord/", {"action": "replay_selected", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == R.RESOLVED
    assert Order.objects.filter(external_id="1").exists()


def test_dead_letters_list_the_most_costly_first(channel_of, catalogue):
    market = channel_of("marketplace", secret="")
    vip = CustomerFactory(brand=market.brand, email="vip@example.com", tier="vip")
    report = marketplace_csv(
        csv_row("cheap", qty="x", price="10.00"),
        csv_row("dear", qty="x", price="900.00"),
        csv_row("vip", qty="x", price="600.00", email=vip.email),
    )
    intake_file_receive(sales_channel=market, content=report, filename="r.txt")
    process_received()
    assert [(r.payload["rows"][0]["amazon-order-id"], r.impact_score) for r in dead_letters()] == [
        ("vip", 1200),
        ("dear", 900),
        ("cheap", 10),
    ]


def test_a_multi_item_order_is_one_record_and_a_repeat_import_is_a_no_op(channel_of, catalogue):
    market = channel_of("marketplace", secret="")
    report = marketplace_csv(csv_row("222-1", sku="TR-42-BLK"), csv_row("222-1", sku="WS-3P", price="24.00"))
    assert len(intake_file_receive(sales_channel=market, content=report, filename="r.txt")) == 1
    intake_file_receive(sales_channel=market, content=report, filename="r.txt")
    first, repeat = process_received()
    assert first.status == R.PROCESSED and repeat.result == {
        "order_id": first.result["order_id"],
        "created": False,
        "duplicate": True,
    }
    order = Order.objects.get(external_id="222-1")
    assert sorted(order.lines.values_list("sku", flat=True)) == ["TR-42-BLK", "WS-3P"]


def test_an_unreadable_report_is_refused_whole(channel_of, partner_api):
    market = channel_of("marketplace", secret="")
    client = partner_api(market)
    response = client.post(
        "/api/v1/intake/marketplace/",
        {"sales_channel": market.slug, "file": SimpleUploadedFile("r.json", b"{not json")},
        format="multipart",
    )
    assert response.status_code == 400
    assert IntakeRecord.objects.count() == 0


def test_replay_service_with_a_fixed_payload(channel_of, catalogue):
    market = channel_of("marketplace", secret="")
    [record] = intake_file_receive(
        sales_channel=market, content=marketplace_csv(csv_row("9", price="abc")), filename="r.txt"
    )
    process_received()
    record.refresh_from_db()
    assert [(e["field"], e["rule"]) for e in record.errors] == [("lines[0].line_total", "decimal")]
    fixed = {"rows": [{**record.payload["rows"][0], "item-price": "89.00"}]}
    done = intake_record_replay(record=record, actor="user:agent", payload=fixed)
    assert done.status == R.RESOLVED and Order.objects.get(external_id="9").total == 89


@pytest.mark.parametrize("url", ["/api/v1/intake/marketplace/", "/api/v1/intake/orders/"])
def test_a_json_body_that_is_not_an_object_is_refused(channel_of, partner_api, url):
    # given a partner of a marketplace channel
    client = partner_api(channel_of("marketplace", secret=""))

    # when it posts a JSON list instead of an object
    response = client.post(url, [{"external_id": "1"}], format="json")

    # then it is told to send an object, and nothing is stored
    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": ["Send a JSON object."]}
    assert not IntakeRecord.objects.exists()
