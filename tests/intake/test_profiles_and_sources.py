"""Validation profiles per channel kind (POS, partner API), WooCommerce webhooks, the
add_sales_channel command, the sweeper, and source health in /readyz."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import SalesChannel
from intake.models import CarrierAccount, IntakeRecord
from intake.tasks import sweep_intake
from orders.models import Order, Shipment
from tests.intake.conftest import SECRET, process_received
from tests.intake.samples import WOO_ORDER, body_of

pytestmark = pytest.mark.django_db
R = IntakeRecord.Status


def native(external_id="P-1", **overrides):
    return {
        "external_id": external_id,
        "customer": {
            "external_id": "c-1",
            "name": "Pat",
            "email": "pat@example.com",
            "phone": "+14155550199",
            "country": "US",
        },
        "lines": [{"sku": "TR-42-BLK", "name": "Trail runner", "quantity": 1, "unit_price": "89.00"}],
        "currency": "USD",
        **overrides,
    }


def test_pos_order_without_shipping_address_is_valid_web_order_gets_a_warning(channel_of, catalogue, partner_api):
    pos, web = channel_of("pos", secret=""), channel_of("web", secret="")
    client = partner_api(pos, web)
    for channel in (pos, web):
        response = client.post("/api/v1/intake/orders/", {"sales_channel": channel.slug, **native()}, format="json")
        assert response.status_code == 202
    pos_record, web_record = process_received()
    assert (pos_record.status, pos_record.warnings) == (R.PROCESSED, [])
    assert web_record.status == R.WARNING
    assert [(w["field"], w["rule"]) for w in web_record.warnings] == [("shipping_address", "missing")]
    assert Order.objects.filter(external_id="P-1").count() == 2


def test_rejections_name_each_field_and_rule(channel_of, partner_api):
    pos = channel_of("pos", secret="")
    client = partner_api(pos)
    bad = native(
        external_id="",
        currency="dollars",
        lines=[{"sku": "", "quantity": -1, "unit_price": "x"}],
        customer={"email": "not-an-email"},
    )
    client.post("/api/v1/intake/orders/", {"sales_channel": pos.slug, **bad}, format="json")
    [record] = process_received()
    assert record.status == R.FAILED
    assert [(e["field"], e["rule"]) for e in record.errors] == [
        ("external_id", "required"),
        ("customer.email", "email_format"),
        ("lines[0].sku", "required"),
        ("lines[0].quantity", "positive_integer"),
        ("lines[0].unit_price", "decimal"),
        ("currency", "iso_4217"),
    ]


def test_woocommerce_signed_and_mis_signed(channel_of, catalogue, post_woo):
    woo = channel_of("woocommerce")
    assert post_woo(woo, "order.created", body_of(WOO_ORDER), secret="wrong").status_code == 401
    assert IntakeRecord.objects.count() == 0
    assert post_woo(woo, "order.created", body_of(WOO_ORDER)).status_code == 202
    shipped = {
        **WOO_ORDER,
        "status": "completed",
        "meta_data": [
            {
                "id": 1,
                "key": "_wc_shipment_tracking_items",
                "value": [
                    {
                        "tracking_provider": "DHL",
                        "tracking_number": "00340434292135100186",
                        "date_shipped": "1714557600",
                    }
                ],
            }
        ],
    }
    post_woo(woo, "order.updated", body_of(shipped))
    created, updated = process_received()
    assert created.status == R.PROCESSED, created.errors
    order = Order.objects.get(sales_channel=woo, external_id="727")
    assert (order.customer.email, order.customer.phone, order.currency, str(order.total)) == (
        "lena@example.de",
        "+4915123456789",
        "EUR",
        "64.80",
    )
    assert updated.status == R.PROCESSED and Shipment.objects.get().carrier == "dhl"
    post_woo(woo, "order.updated", body_of({**WOO_ORDER, "id": 728, "status": "cancelled"}))
    [cancelled] = process_received()
    assert cancelled.result["cancelled"] is True


def test_woocommerce_ping_is_acknowledged(channel_of, post_woo):
    woo = channel_of("woocommerce")
    response = post_woo(woo, "", b"webhook_id=12")
    assert response.status_code == 200 and IntakeRecord.objects.count() == 0


def test_woocommerce_unsigned_setup_ping_gets_200_and_nothing_else_unsigned_does(channel_of, client):
    # Given a WooCommerce channel
    woo = channel_of("woocommerce")
    url = f"/intake/woocommerce/{woo.slug}/"
    form = "application/x-www-form-urlencoded"

    # When WooCommerce checks the URL as a merchant saves the webhook (unsigned, form-encoded)
    ping = client.post(url, b"webhook_id=17", content_type=form, HTTP_USER_AGENT="WordPress/6.5; https://shop.example/")

    # Then it gets 200 and nothing is stored
    assert ping.status_code == 200
    assert IntakeRecord.objects.count() == 0
    # And anything else unsigned is still refused
    assert client.post(url, b"webhook_id=17&status=completed", content_type=form).status_code == 401
    assert client.post(url, b"webhook_id=abc", content_type=form).status_code == 401
    assert client.post(url, body_of(WOO_ORDER), content_type="application/json").status_code == 401
    assert IntakeRecord.objects.count() == 0


def test_add_sales_channel_prints_the_webhook_url(brand, settings, client):
    settings.SITE_URL = "https://waypost.example"
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "add_sales_channel",
        "--kind",
        "shopify",
        "--brand",
        brand.slug,
        "--name",
        "Acme Shopify",
        "--secret",
        SECRET,
        stdout=out,
        stderr=err,
    )
    assert out.getvalue().strip() == "https://waypost.example/intake/shopify/acme-shopify/"
    channel = SalesChannel.objects.get(slug="acme-shopify")
    assert (channel.kind, channel.intake_settings.webhook_secret) == ("shopify", SECRET)


def test_the_sweeper_requeues_records_left_unprocessed(
    channel_of, partner_api, settings, django_capture_on_commit_callbacks
):
    pos = channel_of("pos", secret="")
    partner_api(pos).post("/api/v1/intake/orders/", {"sales_channel": pos.slug, **native()}, format="json")
    IntakeRecord.objects.update(received_at=timezone.now() - timezone.timedelta(minutes=5))
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        assert sweep_intake() == 1
    finally:
        app.conf.task_always_eager = False
    assert IntakeRecord.objects.get().status == R.WARNING  # processed (no shipping address: a warning)


def test_readyz_reports_degraded_sources_without_failing(channel_of, client, settings):
    settings.INTAKE_LAG_DEGRADED_SECONDS = 60
    pos = channel_of("pos", secret="")
    IntakeRecord.objects.create(kind="partner", source=f"partner:{pos.slug}", sales_channel=pos, raw_body="{}")
    IntakeRecord.objects.update(received_at=timezone.now() - timezone.timedelta(minutes=10))
    CarrierAccount.objects.create(
        carrier="dhl",
        adapter="dhl",
        base_url="http://127.0.0.1:9",
        circuit_state="open",
        circuit_opened_at=timezone.now(),
    )
    response = client.get("/readyz")
    assert response.status_code == 200
    degraded = {d["source"]: d["reasons"] for d in response.json()["degraded"]}
    assert degraded[f"partner:{pos.slug}"][0].startswith("lag ")
    assert degraded["poller:dhl"] == ["circuit open"]


def test_source_health_page(channel_of, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("a", "a@example.com", "pw"))
    pos = channel_of("pos", secret="")
    IntakeRecord.objects.create(kind="partner", source=f"partner:{pos.slug}", sales_channel=pos, raw_body="{}")
    page = client.get("/admin/intake/intakerecord/health/")
    assert page.status_code == 200 and f"partner:{pos.slug}".encode() in page.content
