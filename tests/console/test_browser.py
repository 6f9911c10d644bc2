"""The console in headless Chromium (Debian's, through Playwright) against the live server: an
agent finds a customer by tracking number and resends a message; a merchant edits a Spanish SMS
template, sees the segments change in the live preview, saves and reverts; the KPI dashboard
draws its charts with the local Chart.js. ``UPDATE_SCREENSHOTS=1`` writes
docs/screenshots/console-*.png."""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from catalogue.models import Template
from console.roles import MERCHANT_EDITOR, SUPPORT_AGENT
from notifications.models import Delivery
from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline, run_pipeline

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LONG_ES = (
    "{{ brand.name }}: tu pedido {{ order.number }} ya salió con {{ shipment.carrier_name }}. "
    "Síguelo aquí: {{ links.tracking }} ¿Dudas? Responde a este mensaje y te ayudamos enseguida."
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not shutil.which("chromium"),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server, settings, transactional_db):
    settings.SITE_URL = live_server.url
    instant_pipeline()
    return live_server.url


def user_in(django_user_model, username: str, role: str):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw-console-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def log_in(browser, site: str, username: str, width: int = 1400):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-console-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    return page


def shot(page, name: str) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


def test_agent_finds_a_customer_by_tracking_number_and_resends(site, browser, django_user_model):
    # given a customer whose shipment went out (email and SMS) and an agent
    customer, order, shipment = customer_with_shipment(
        name="Emma Johnson", email="emma@example.com", phone="+12125550147"
    )
    carrier_scan(shipment, "shipped")
    run_pipeline()
    user_in(django_user_model, "alice", SUPPORT_AGENT)
    page = log_in(browser, site, "alice")
    # when they search the tracking number from the admin index
    page.fill("#console-q", shipment.tracking_number)
    page.click("#console-links input[type=submit]")
    # then they land on the customer's timeline
    page.wait_for_url(f"**/admin/notifications/notification/timeline/{customer.pk}/")
    assert page.get_by_role("heading", name="Emma Johnson").first.is_visible()
    shot(page, "timeline")
    # when they resend the "shipped" email with a reason
    old = Delivery.objects.get(
        notification__customer=customer, notification__notification_type__key="shipment_shipped", channel="email"
    )
    form = page.locator(f"form.resend-form:has(input[data-delivery='{old.pk}'])")
    form.locator("input[name=reason]").fill("customer cannot find the email")
    form.locator("input[type=submit]").click()
    # then the page confirms and a new delivery linked to the old one exists
    page.wait_for_selector("ul.messagelist li.success")
    assert f"Resending delivery #{old.pk}" in page.locator("ul.messagelist").inner_text()
    assert Delivery.objects.filter(resend_of=old, channel="email").count() == 1


def test_merchant_edits_a_spanish_sms_sees_segments_change_saves_and_reverts(site, browser, django_user_model):
    user_in(django_user_model, "marco", MERCHANT_EDITOR)
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")
    original = template.body_text_es
    page = log_in(browser, site, "marco", width=1500)
    page.goto(f"{site}/admin/console/studio/{template.pk}/es/")
    before = int(page.inner_text("#sms-segments"))
    # when they type a longer text with accents
    page.fill("#id_body_text", LONG_ES)
    page.wait_for_function(f"document.getElementById('sms-segments').textContent.trim() !== '{before}'")
    # then the preview shows UCS-2 and more segments
    assert page.inner_text("#sms-encoding") == "UCS-2"
    assert int(page.inner_text("#sms-segments")) > before
    assert "tu pedido" in page.inner_text("#preview-body") and "{{" not in page.inner_text("#preview-body")
    shot(page, "studio")
    # when they save with a reason
    page.fill("#id_reason", "friendlier copy")
    page.click("#studio-save")
    page.wait_for_selector("ul.messagelist li.success")
    template.refresh_from_db()
    assert template.body_text_es == LONG_ES
    # and revert to version 1
    page.click("input.revert-button[value='Revert to v1']")
    page.wait_for_selector("text=Reverted to version 1")
    template.refresh_from_db()
    assert template.body_text_es == original
    assert list(template.versions.order_by("number").values_list("number", "reverted_from")) == [
        (1, None),
        (2, None),
        (3, 1),
    ]


def test_dashboard_draws_its_charts(site, browser, django_user_model):
    import random

    from django.db.models import F
    from django.utils import timezone

    from notifications.models import DeliveryAttempt

    # given a week of traffic with some sandbox failures (retried), spread over the last days
    instant_pipeline(fail_rate=0.25)
    random.seed(8)
    for i in range(12):
        customer, order, shipment = customer_with_shipment(name=f"Customer {i}", phone=f"+1212555{i:04d}")
        carrier_scan(shipment, "shipped")
        carrier_scan(shipment, "delivered")
    run_pipeline()
    for delivery in Delivery.objects.all():
        back = timezone.timedelta(days=delivery.pk % 6)
        Delivery.objects.filter(pk=delivery.pk).update(created_at=F("created_at") - back)
        DeliveryAttempt.objects.filter(delivery=delivery).update(started_at=F("started_at") - back)
    user_in(django_user_model, "marco", MERCHANT_EDITOR)
    page = log_in(browser, site, "marco", width=1500)
    page.goto(f"{site}/admin/console/dashboard/?period=7d")
    page.wait_for_function("document.body.dataset.chartsDrawn === '3'")
    assert page.evaluate("typeof Chart") == "function"
    for canvas in ("chart-rate", "chart-volume", "chart-failures"):
        box = page.locator(f"#{canvas}").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, canvas
    assert "%" in page.inner_text("#kpi-delivery_rate")
    assert page.locator("#table-failure_reasons td", has_text="sandbox_unavailable").count() >= 1
    shot(page, "dashboard")
