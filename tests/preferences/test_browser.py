"""The preference center in headless Chromium (Debian's, through Playwright) against the live
server: acceptance 1 (the link in a sandbox message opens the center; "shipped" off for SMS means
the next shipment's "shipped" notice goes by email only), language and quiet hours kept after a
reload, a tampered link refused, and "Enable browser notifications" storing a push subscription
that then receives a real Web Push. ``UPDATE_SCREENSHOTS=1`` writes docs/screenshots/preference-center-*.png.

Chromium without Google's push service (no API keys, headless) refuses ``pushManager.subscribe``
("Registration failed - permission denied"), so that one call is replaced in the page by a stub
answering with a subscription on the fake push service; permission, service-worker registration,
the page's script, the POST and the server side are the real ones."""

import os
import re
import shutil
from pathlib import Path

import pytest

from channels.models import SandboxMessage
from notifications.models import Delivery, Notification
from preferences.models import ChannelConsent, ConsentLog, CustomerPreferences, PushSubscription, TypePreference
from preferences.vapid import generate_vapid_keys
from tests.fakes.push import FakePushService
from tests.preferences.helpers import (
    carrier_scan,
    customer_with_shipment,
    instant_pipeline,
    order_with_shipment,
    process_events,
    send_due,
)

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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not shutil.which("chromium"),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run does)",
    ),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=ARGS
        )
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop runs use context-local connections that the
        # database teardown cannot see: close them here, or PostgreSQL keeps a session open.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def site(live_server, settings):
    settings.SITE_URL = live_server.url  # links in messages point at the live server (http://localhost:port)
    instant_pipeline()
    return live_server.url


def link_in(message: SandboxMessage) -> str:
    """The preference-center link in a sent email (its footer)."""
    match = re.search(r'href="(http://localhost:\d+/p/[^"/]+/)"', message.body_html)
    assert match, "no preference link in the email"
    return match.group(1)


def test_acceptance_1_link_from_outbox_opens_center_and_shipped_off_for_sms_means_email_only(
    site, browser, transactional_db
):
    # Given a customer whose order confirmation is in the sandbox outbox
    customer, order, shipment = customer_with_shipment(
        email="emma@example.com", phone="+12125550147", name="Emma Johnson", time_zone="America/New_York"
    )
    brand = customer.brand
    brand.name, brand.logo_url = "Northwind Outfitters", f"{site}/static/demo/logo.svg"
    brand.primary_color, brand.accent_color = "#1d4d3a", "#e9b44c"
    brand.save()
    process_events()
    send_due()
    message = SandboxMessage.objects.get(channel="email", to=customer.email)
    # When they open its link in Chromium
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(link_in(message))
    assert page.get_by_role("heading", name="Your notification preferences").is_visible()
    # And switch "Shipped" off for SMS, choose Spanish, set quiet hours 22:00-07:00, and save
    page.get_by_label("Shipped: SMS", exact=True).uncheck()
    page.get_by_label("Language").select_option("es")
    page.get_by_label("Quiet from").fill("22:00")
    page.get_by_label("Quiet until").fill("07:00")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    # Then after a reload the page is in Spanish and every choice is kept
    page.reload()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("status").filter(has_text="Tus preferencias están guardadas.").is_visible()
    assert not page.get_by_label("Enviado: SMS", exact=True).is_checked()
    assert page.get_by_label("Enviado: Correo electrónico", exact=True).is_checked()
    assert page.get_by_label("Silencio desde").input_value() == "22:00"
    assert page.get_by_label("Silencio hasta").input_value() == "07:00"
    assert page.get_by_label("Idioma").input_value() == "es"
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.goto(link_in(message))
        page.screenshot(path=str(SCREENSHOTS / "preference-center-desktop.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.goto(link_in(message))
        phone.screenshot(path=str(SCREENSHOTS / "preference-center-phone.png"))
        wide = phone.evaluate(
            """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)"""
        )
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    # And the change was logged as the customer's, from the center
    assert (
        ConsentLog.objects.filter(
            customer=customer, type_key="shipment_shipped", channel="sms", new_state="opted_out", source="center"
        ).count()
        == 1
    )

    # When the next shipment ships
    _order2, shipment2 = order_with_shipment(customer=customer, channel=order.sales_channel)
    carrier_scan(shipment2, "shipped")
    process_events()
    send_due()
    # Then its "shipped" notice went by email only
    shipped = Notification.objects.get(
        customer=customer, notification_type__key="shipment_shipped", subject_key=f"shipment:{shipment2.pk}"
    )
    assert list(shipped.deliveries.values_list("channel", "status")) == [("email", Delivery.Status.DELIVERED)]
    assert shipped.skipped == {"sms": "opted_out_type"}
    assert not SandboxMessage.objects.filter(channel="sms", delivery__notification=shipped).exists()


def test_tampered_link_is_refused_in_the_browser(site, browser, transactional_db):
    customer, _order, _shipment = customer_with_shipment(name="Emma Johnson")
    from preferences.links import preference_link_for

    link = preference_link_for(customer)
    tampered = link[:-3] + ("x" if link[-3] != "x" else "y") + "/"
    page = browser.new_page()
    response = page.goto(tampered)
    assert response.status == 400
    assert page.get_by_role("heading", name="This link is invalid or expired").is_visible()
    assert "Emma" not in page.content()
    assert page.get_by_role("button", name="Send me a fresh link").is_visible()


def test_enable_browser_notifications_registers_a_subscription_that_receives_push(
    site, browser, transactional_db, settings
):
    # Given VAPID keys, the Web Push provider and a fake push service
    keys = generate_vapid_keys()
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = keys["public_key"], keys["private_key"]
    settings.WAYPOST_PROVIDERS = {**settings.WAYPOST_PROVIDERS, "push": "webpush"}
    service = FakePushService().start()
    try:
        customer, _order, shipment = customer_with_shipment()
        process_events()
        send_due()
        subscription = service.subscription("browser-1")
        context = browser.new_context()
        context.grant_permissions(["notifications"])
        context.add_init_script(
            """
            window.__subscribedWith = null;
            PushManager.prototype.subscribe = function (options) {{
              window.__subscribedWith = btoa(String.fromCharCode.apply(null, new Uint8Array(options.applicationServerKey)));
              const json = {};
              return Promise.resolve({{endpoint: json.endpoint, toJSON: () => json}});
            }};
        """.format(__import__("json").dumps(subscription))
        )
        page = context.new_page()
        page.goto(f"{site}/p/{__import__('preferences.links', fromlist=['x']).preference_token_for(customer)}/")
        # When the customer clicks "Enable browser notifications"
        page.get_by_role("button", name="Enable browser notifications").click()
        page.get_by_text("Browser notifications are on.").wait_for()
        # Then the service worker is registered, the page subscribed with our VAPID public key,
        registrations = page.evaluate(
            "navigator.serviceWorker.getRegistrations().then(r => r.map(x => x.active && x.active.scriptURL))"
        )
        assert registrations == [f"{site}/static/preferences/sw.js"]
        used_key = page.evaluate("window.__subscribedWith")
        import base64

        assert base64.b64decode(used_key) == base64.urlsafe_b64decode(keys["public_key"] + "=")
        # and the subscription is stored for the customer
        sub = PushSubscription.objects.get(customer=customer)
        assert sub.endpoint == subscription["endpoint"] and sub.expired_at is None
        # When the customer puts push first and the order ships, it arrives as a real Web Push
        CustomerPreferences.objects.filter(customer=customer).update(channel_order=["push", "email"])
        carrier_scan(shipment, "shipped")
        process_events()
        send_due()
        [push] = [r for r in service.sent() if r.path.endswith("/browser-1")]
        assert push.vapid_ok and push.payload["title"] == "Your order is on its way"
        assert push.payload["preferences_url"].startswith(f"{site}/p/")
        assert Delivery.objects.get(notification__customer=customer, channel="push").status == Delivery.Status.SENT
    finally:
        service.stop()


def test_center_works_without_javascript(site, browser, transactional_db):
    customer, _order, _shipment = customer_with_shipment()
    from preferences.links import preference_link_for

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(preference_link_for(customer))
    assert not page.get_by_role("button", name="Enable browser notifications").is_visible()
    page.get_by_label("SMS", exact=True).first.uncheck()  # the whole SMS channel, in the Channels fieldset
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    page.wait_for_load_state("load")
    assert ChannelConsent.objects.get(customer=customer, channel="sms").state == "opted_out"
    assert not TypePreference.objects.filter(customer=customer).exists()
    # Keyboard: the skip link comes first in the focus order, then the form's first field
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_language"
