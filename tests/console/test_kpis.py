"""Each KPI formula of ``notifications/kpis.py`` on hand-built rows with known answers, the
filters, and the independent raw-SQL check agreeing with the dashboard."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import NotificationType
from catalogue.shipped import ensure_catalogue
from insights import kpis
from insights.kpi_check import compare
from notifications.models import Delivery, DeliveryAttempt, Event, Notification
from preferences.models import ChannelConsent, ConsentLog
from tests.factories import BrandFactory, CustomerFactory

pytestmark = pytest.mark.django_db
T = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
ALL = kpis.KpiFilters(start=None)
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _catalogue():
    ensure_catalogue()


def event(type_="shipment.shipped", at=T, customer=None, brand=None):
    customer = customer or CustomerFactory()
    return Event.objects.create(
        type=type_,
        subject_type=type_.split(".")[0],
        subject_id=next(_seq),
        brand=brand or customer.brand,
        customer=customer,
        created_at=at,
    )


def delivery(
    channel="email", status="delivered", provider="sandbox", ev=None, type_key="shipment_shipped", created=T, **fields
):
    ev = ev or event()
    n = Notification.objects.create(
        dedupe_key=f"k{next(_seq)}",
        customer=ev.customer,
        brand=ev.brand,
        event=ev,
        subject_key="s",
        notification_type=NotificationType.objects.get(key=type_key),
        language="en",
        created_at=created,
    )
    return Delivery.objects.create(
        notification=n, channel=channel, status=status, provider=provider, created_at=created, **fields
    )


def test_delivery_rate_overall_and_per_channel_and_provider():
    for status in ("delivered", "delivered", "sent", "bounced", "suppressed", "pending"):
        delivery("email", status, opened_at=None)
    for status, provider in (
        ("delivered", "vonage"),
        ("delivered", "vonage"),
        ("dead", "vonage"),
        ("failed", "twilio"),
    ):
        delivery("sms", status, provider)
    # attempted = 8 (suppressed and pending never reached a provider); accepted = sent + delivered = 5
    assert kpis.delivery_rate(ALL)["value"] == 62.5
    assert {(r["channel"], r["provider"]): r["rate"] for r in kpis.delivery_rates(ALL)} == {
        ("email", "sandbox"): 75.0,
        ("sms", "twilio"): 0.0,
        ("sms", "vonage"): 66.67,
    }
    assert kpis.delivery_rate(kpis.KpiFilters(start=None, channel="sms", provider="vonage"))["value"] == 66.67


def test_time_to_first_update_uses_the_earliest_delivered_message_per_shipment_event():
    shipped = event("shipment.shipped", T)
    delivery("email", ev=shipped, delivered_at=T + dt.timedelta(seconds=120))
    delivery("sms", ev=shipped, delivered_at=T + dt.timedelta(seconds=60))  # first: 60 s
    done = event("shipment.delivered", T)
    delivery("email", ev=done, type_key="shipment_delivered", delivered_at=T + dt.timedelta(seconds=300))  # 300 s
    failed = event("shipment.in_transit", T)
    delivery("email", "dead", ev=failed, type_key="shipment_in_transit")  # nothing delivered: left out
    delivery("email", ev=event("order.placed", T), type_key="order_confirmed", delivered_at=T + dt.timedelta(hours=1))
    assert kpis.time_to_first_update(ALL) == {"value": 180.0, "n": 2}


def test_time_to_alert_for_stock_events_uses_sent_at():
    stock = event("stock.back_in_stock", T)
    delivery(
        "sms",
        ev=stock,
        type_key="back_in_stock",
        sent_at=T + dt.timedelta(seconds=30),
        delivered_at=T + dt.timedelta(seconds=90),
    )
    delivery("email", ev=stock, type_key="back_in_stock", sent_at=T + dt.timedelta(seconds=45))
    assert kpis.time_to_stock_alert(ALL) == {"value": 30.0, "n": 1}
    assert kpis.meets("time_to_stock_alert", 30.0) is True


def test_sms_delivery_time_from_send_to_receipt_or_immediate_delivery():
    delivery("sms", sent_at=T, receipt_at=T + dt.timedelta(seconds=10), delivered_at=T + dt.timedelta(seconds=10))
    delivery("sms", sent_at=T, delivered_at=T + dt.timedelta(seconds=20))  # no receipt: delivered_at
    delivery("sms", "sent", sent_at=T)  # not delivered: left out
    delivery("email", sent_at=T, delivered_at=T + dt.timedelta(seconds=500))  # not SMS
    assert kpis.sms_delivery_time(ALL) == {"value": 15.0, "n": 2}


def test_email_open_rate():
    delivery("email", opened_at=T, open_count=2)
    delivery("email")
    delivery("email", "sent")
    delivery("email", "bounced", opened_at=T)  # not accepted: left out
    result = kpis.email_open_rate(ALL)
    assert (result["value"], result["n"], result["opened"]) == (33.33, 3, 1)


def test_opt_out_rate_counts_channel_opt_outs_of_notified_customers():
    brand = BrandFactory()
    a, b, c, d, e = (CustomerFactory(brand=brand) for _ in range(5))
    for customer in (a, b, c, d):
        delivery(ev=event(customer=customer))
    ConsentLog.objects.create(
        customer=a, channel="sms", new_state="opted_out", old_state="opted_in", source="sms_keyword"
    )
    ChannelConsent.objects.create(customer=b, channel="email", state="opted_out", source="email_unsubscribe")
    ConsentLog.objects.create(
        customer=c, channel="sms", type_key="shipment_shipped", new_state="opted_out", source="center"
    )  # one type only: a preference, not an opt-out
    ChannelConsent.objects.create(customer=e, channel="sms", state="opted_out")  # never notified: not counted
    result = kpis.opt_out_rate(ALL)
    assert (result["value"], result["n"], result["opted_out"]) == (50.0, 4, 2)
    assert kpis.opt_out_rate(kpis.KpiFilters(start=None, channel="sms"))["value"] == 25.0


def test_cost_per_sms_averages_priced_accepted_messages():
    delivery("sms", sent_at=T, cost=Decimal("0.008"))
    delivery("sms", sent_at=T, cost=Decimal("0.006"))
    delivery("sms", sent_at=T)  # the sandbox: no price
    delivery("sms", "dead", cost=Decimal("1"))  # never accepted
    result = kpis.cost_per_sms(ALL)
    assert (result["value"], result["n"], result["unpriced"]) == (0.007, 2, 1)
    assert kpis.meets("cost_per_sms", 0.007) is True


def test_volume_per_day_and_failures_by_reason():
    yesterday = T - dt.timedelta(days=1)
    delivery("email", created=yesterday)
    d1 = delivery("sms")
    delivery("sms", created=T + dt.timedelta(minutes=1))
    for number, (code, outcome) in enumerate(
        [
            ("timeout", "transient"),
            ("timeout", "transient"),
            ("invalid_number", "permanent"),
            ("", "permanent"),
            ("", "accepted"),
        ],
        1,
    ):
        DeliveryAttempt.objects.create(
            delivery=d1,
            number=number,
            provider="vonage",
            idempotency_key=f"a{number}",
            outcome=outcome,
            error_code=code,
            started_at=T,
        )
    volume = {(r["day"], r["channel"]): r["deliveries"] for r in kpis.volume_per_day(ALL)}
    assert volume == {(timezone.localtime(yesterday).date(), "email"): 1, (timezone.localtime(T).date(), "sms"): 2}
    reasons = {(r["error_code"], r["outcome"]): r["attempts"] for r in kpis.failure_reasons(ALL)}
    assert reasons == {("timeout", "transient"): 2, ("invalid_number", "permanent"): 1, ("unknown", "permanent"): 1}


def test_filters_by_brand_type_and_period():
    ours, theirs = BrandFactory(), BrandFactory()
    delivery("email", ev=event(customer=CustomerFactory(brand=ours)))
    delivery("email", "bounced", ev=event(customer=CustomerFactory(brand=theirs)))
    delivery("email", "bounced", created=timezone.now() - dt.timedelta(days=20))
    assert kpis.delivery_rate(kpis.KpiFilters(start=None, brand_id=ours.pk))["value"] == 100.0
    assert kpis.delivery_rate(kpis.KpiFilters(start=None, brand_id=theirs.pk))["value"] == 0.0
    assert kpis.delivery_rate(kpis.KpiFilters.for_period("7d"))["n"] == 2
    assert kpis.delivery_rate(kpis.KpiFilters(start=None, type_key="order_confirmed"))["n"] == 0


def test_summary_shows_each_kpi_beside_its_target_and_matches_the_independent_check():
    delivery("sms", sent_at=T, delivered_at=T + dt.timedelta(seconds=3), cost=Decimal("0.0081"))
    delivery("email", opened_at=T)
    summary = {row["key"]: row for row in kpis.kpi_summary(ALL)}
    assert set(summary) == {k for k, *_ in kpis.KPIS}
    assert summary["delivery_rate"]["target"] == "≥ 98.5%" and summary["delivery_rate"]["ok"] is True
    assert summary["cost_per_sms"]["ok"] is False  # 0.0081 > 0.0075
    assert all(row["formula"] for row in summary.values())
    assert all(r["match"] for r in compare()), compare()


def test_dashboard_page_and_csv_exports(agent_client):
    delivery("email")
    page = agent_client.get(reverse("console:dashboard"), {"period": "all"})
    html = page.content.decode()
    assert page.status_code == 200 and "vendor/chartjs/chart.umd.js" in html and 'id="chart-failures"' in html
    assert 'id="kpi-delivery_rate"' in html and "100.0%" in html
    for name in (
        "kpis",
        "delivery_rates",
        "daily_delivery_rate",
        "volume_per_day",
        "failure_reasons",
        "failed_deliveries",
    ):
        response = agent_client.get(reverse("console:dashboard"), {"period": "all", "export": name})
        assert response["Content-Type"].startswith("text/csv"), name
    csv_text = agent_client.get(
        reverse("console:dashboard"), {"period": "all", "export": "delivery_rates"}
    ).content.decode()
    assert csv_text.splitlines() == ["channel,provider,attempted,accepted,rate", "email,sandbox,1,1,100.0"]


def test_the_real_pipeline_through_the_sandbox_feeds_every_kpi_and_matches_the_independent_check():
    from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline, run_pipeline

    instant_pipeline()
    for i in range(3):
        customer, order, shipment = customer_with_shipment(phone=f"+1212555{i:04d}", country="US")
        carrier_scan(shipment, "shipped")
        carrier_scan(shipment, "delivered")
    run_pipeline()
    summary = {row["key"]: row for row in kpis.kpi_summary(ALL)}
    # the sandbox prices SMS like Vonage to the US (SMS_PRICES): $0.00809 a segment
    assert summary["cost_per_sms"]["value"] is not None and summary["cost_per_sms"]["value"] >= 0.00809
    assert summary["delivery_rate"]["value"] == 100.0 and summary["time_to_first_update"]["n"] >= 3
    assert all(r["match"] for r in compare()), compare()


def test_studio_test_sends_are_left_out_and_answers_to_unknown_numbers_counted_alike_by_both():
    # given one customer message, one studio test send (staff) and one answer to a number we do not
    # know (no customer), each with a failed attempt
    customer_message = delivery("sms", "delivered", "vonage", cost=Decimal("0.0070"), sent_at=T, delivered_at=T)
    studio = delivery("email", "dead", type_key="studio_test")
    answer = delivery(
        "sms", "delivered", "vonage", type_key="sms_reply", cost=Decimal("0.0090"), sent_at=T, delivered_at=T
    )
    Notification.objects.filter(pk=answer.notification_id).update(customer=None)
    for d in (customer_message, studio, answer):
        DeliveryAttempt.objects.create(
            delivery=d,
            number=1,
            provider=d.provider,
            idempotency_key=f"a{d.pk}",
            outcome="transient",
            error_code=f"code-{d.pk}",
            started_at=T,
        )

    # when the KPIs are computed, on the dashboard and independently
    rate, cost = kpis.delivery_rate(ALL), kpis.cost_per_sms(ALL)
    reasons = {r["error_code"] for r in kpis.failure_reasons(ALL)}

    # then the test send counts nowhere, the answer counts like any message, and both agree
    assert (rate["n"], rate["value"]) == (2, 100.0) and cost["n"] == 2
    assert reasons == {f"code-{customer_message.pk}", f"code-{answer.pk}"}
    assert kpis.opt_out_rate(ALL)["n"] == 1
    assert all(r["match"] for r in compare()), compare()
