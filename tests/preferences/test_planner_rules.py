"""The planner obeys the customer's preferences: per-type opt-outs, the critical bypass, channel
consent beating critical, channel order and push activity, quiet hours across time zones and a
DST change, daily digests (assembled once, superseded updates merged) and frequency caps."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from catalogue.models import Rule
from channels.models import SandboxMessage
from notifications.models import Delivery, Notification
from notifications.selectors import channels_at_cap
from notifications.services.digests import digest_build, digests_build_due
from notifications.services.dispatch import delivery_send
from notifications.services.planning import notification_plan
from preferences.models import ChannelConsent, CustomerPreferences, PushSubscription
from preferences.selectors import effective_plan, next_digest_at, ordered_channels, preferences_of, quiet_hours_end
from preferences.services import consent_set
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.preferences.helpers import (
    at,
    carrier_scan,
    customer_with_shipment,
    instant_pipeline,
    make_due,
    order_with_shipment,
    prefs_for,
    process_events,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def plan(
    customer,
    type_key="shipment_shipped",
    category="shipping",
    critical=False,
    channels=("email", "sms"),
    mode="all",
    now=None,
):
    customer.refresh_from_db()  # forget a cached preferences row
    now = now or timezone.now()
    return effective_plan(
        customer=customer,
        type_key=type_key,
        category=category,
        critical=critical,
        channels=list(channels),
        mode=mode,
        now=now,
        capped=lambda allowed: channels_at_cap(customer=customer, channels=allowed, now=now),
    )


# --- opt-outs and consent -------------------------------------------------------------------------


def test_type_opt_out_removes_only_that_channel():
    # Given a customer who switched "shipped" off for SMS
    customer = CustomerFactory()
    consent_set(customer=customer, channel="sms", type_key="shipment_shipped", state="opted_out", source="center")
    # When a shipped notice and an out-for-delivery notice are planned
    shipped, out = plan(customer), plan(customer, type_key="shipment_out_for_delivery")
    # Then shipped goes by email only, and the other type keeps both channels
    assert shipped.channels == ["email"] and shipped.skipped == {"sms": "opted_out_type"}
    assert out.channels == ["email", "sms"]


def test_critical_type_ignores_type_opt_out():
    customer = CustomerFactory()
    consent_set(customer=customer, channel="sms", type_key="shipment_exception", state="opted_out", source="center")
    result = plan(customer, type_key="shipment_exception", critical=True, channels=("sms", "email"))
    assert result.channels == ["sms", "email"] and result.skipped == {}


def test_channel_stop_beats_critical():
    # Given an SMS STOP
    customer = CustomerFactory()
    consent_set(customer=customer, channel="sms", state=ChannelConsent.State.OPTED_OUT, source="sms_keyword")
    # When a critical delivery problem is planned on SMS and email
    result = plan(customer, type_key="shipment_exception", critical=True, channels=("sms", "email"))
    # Then SMS is out even for critical
    assert result.channels == ["email"] and result.skipped == {"sms": "no_consent"}


# --- channel order and push -------------------------------------------------------------------------


def test_channel_order_push_first_when_app_active_else_sms_then_email():
    # Given "push if my app is active, else SMS, else email"
    customer = CustomerFactory()
    prefs_for(customer, channel_order=["push", "sms", "email"], quiet_hours_enabled=False)
    # When push is not active: push is skipped, SMS first, fallback mode
    result = plan(customer)
    assert (result.channels, result.mode, result.skipped) == (["sms", "email"], "fallback", {"push": "push_inactive"})
    # When the merchant's app saw the device yesterday: push first
    prefs_for(customer, app_seen_at=timezone.now() - dt.timedelta(days=1))
    assert plan(customer).channels == ["push", "sms", "email"]


def test_push_active_through_a_live_subscription_not_an_expired_one(settings):
    customer = CustomerFactory()
    prefs_for(
        customer,
        channel_order=["push", "email"],
        quiet_hours_enabled=False,
        app_seen_at=timezone.now() - dt.timedelta(days=settings.PUSH_APP_ACTIVE_DAYS + 1),
    )
    sub = PushSubscription.objects.create(
        customer=customer, endpoint="https://push.example/1", p256dh="k", auth="a", expired_at=timezone.now()
    )
    assert plan(customer).channels[0] == "email"
    sub.expired_at = None
    sub.save()
    assert plan(customer).channels[0] == "push"


def test_critical_keeps_the_rule_mode_in_the_customer_order():
    prefs = CustomerPreferences(channel_order=["sms", "email"])
    assert ordered_channels(prefs=prefs, channels=["email", "sms"], mode="all", critical=True) == (
        ["sms", "email"],
        "all",
    )
    assert ordered_channels(prefs=prefs, channels=["email", "sms"], mode="all", critical=False) == (
        ["sms", "email"],
        "fallback",
    )


# --- quiet hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone,planned,expected",
    [
        # 23:00 local -> 08:00 local the next morning, in three zones
        ("America/Los_Angeles", (2026, 6, 10, 23, 0), (2026, 6, 11, 8, 0)),
        ("Europe/Berlin", (2026, 6, 10, 23, 0), (2026, 6, 11, 8, 0)),
        ("Asia/Tokyo", (2026, 6, 10, 23, 0), (2026, 6, 11, 8, 0)),
        # after midnight: the same morning
        ("America/Mexico_City", (2026, 6, 11, 2, 30), (2026, 6, 11, 8, 0)),
    ],
)
def test_quiet_hours_end_at_local_eight(zone, planned, expected):
    prefs = CustomerPreferences(quiet_start=dt.time(21), quiet_end=dt.time(8))
    assert quiet_hours_end(prefs=prefs, zone=zoneinfo.ZoneInfo(zone), now=at(zone, *planned)) == at(zone, *expected)


def test_quiet_hours_across_a_dst_change_keep_wall_clock_eight():
    # Given New York springs forward in the night of 7-8 March 2026 (02:00 EST -> 03:00 EDT)
    zone = zoneinfo.ZoneInfo("America/New_York")
    prefs = CustomerPreferences(quiet_start=dt.time(21), quiet_end=dt.time(8))
    planned = at("America/New_York", 2026, 3, 7, 23, 0)
    # When the end of quiet hours is computed
    end = quiet_hours_end(prefs=prefs, zone=zone, now=planned)
    # Then it is 08:00 EDT (12:00 UTC), 8 hours later, not 9 hours of wall clock at the old offset
    assert end == dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert end - planned == dt.timedelta(hours=8)
    # And in the autumn (1 November 2026, EDT -> EST) the night is an hour longer
    autumn = at("America/New_York", 2026, 10, 31, 23, 0)
    assert quiet_hours_end(prefs=prefs, zone=zone, now=autumn) - autumn == dt.timedelta(hours=10)


def test_outside_quiet_hours_nothing_is_held():
    prefs = CustomerPreferences(quiet_start=dt.time(21), quiet_end=dt.time(8))
    assert quiet_hours_end(prefs=prefs, zone=UTC, now=dt.datetime(2026, 6, 10, 12, tzinfo=UTC)) is None
    prefs.quiet_hours_enabled = False
    assert quiet_hours_end(prefs=prefs, zone=UTC, now=dt.datetime(2026, 6, 10, 23, tzinfo=UTC)) is None


def test_quiet_hours_hold_sms_not_email_and_never_critical():
    # Given a Berlin customer at 23:00 local time
    customer = CustomerFactory(time_zone="Europe/Berlin")
    prefs_for(customer, quiet_start=dt.time(21), quiet_end=dt.time(8))
    night = at("Europe/Berlin", 2026, 6, 10, 23, 0)
    # When a non-critical notice goes to email and SMS
    result = plan(customer, now=night)
    # Then SMS waits until 08:00 and email does not
    assert result.hold == "quiet_hours" and result.hold_until == {"sms": at("Europe/Berlin", 2026, 6, 11, 8, 0)}
    assert result.send_after("email", night) == night
    # And a critical one is not held
    assert plan(customer, type_key="shipment_exception", critical=True, now=night).hold_until == {}


@pytest.mark.quiet_hours
def test_default_quiet_hours_apply_to_customers_who_never_chose():
    customer = CustomerFactory(time_zone="Asia/Tokyo")
    prefs = preferences_of(customer)
    assert (prefs.quiet_start, prefs.quiet_end, prefs.quiet_channels) == (
        dt.time(21),
        dt.time(8),
        ["sms", "whatsapp", "push"],
    )
    result = plan(customer, now=at("Asia/Tokyo", 2026, 6, 10, 22, 0))
    assert result.hold_until == {"sms": at("Asia/Tokyo", 2026, 6, 11, 8, 0)}


# --- digests ----------------------------------------------------------------------------------------


def test_next_digest_is_the_chosen_local_hour():
    prefs = CustomerPreferences(digest_hour=18)
    zone = zoneinfo.ZoneInfo("Europe/Paris")
    assert next_digest_at(prefs=prefs, zone=zone, now=at("Europe/Paris", 2026, 6, 10, 9, 0)) == at(
        "Europe/Paris", 2026, 6, 10, 18, 0
    )
    assert next_digest_at(prefs=prefs, zone=zone, now=at("Europe/Paris", 2026, 6, 10, 18, 0)) == at(
        "Europe/Paris", 2026, 6, 11, 18, 0
    )


def test_daily_rhythm_holds_non_critical_but_not_critical():
    customer = CustomerFactory(time_zone="UTC")
    prefs_for(customer, rhythm={"shipping": "daily"}, digest_hour=18, quiet_hours_enabled=False)
    now = dt.datetime(2026, 6, 10, 9, tzinfo=UTC)
    held = plan(customer, now=now)
    assert held.hold == "digest" and held.digest_at == dt.datetime(2026, 6, 10, 18, tzinfo=UTC)
    assert plan(customer, type_key="shipment_exception", critical=True, now=now).digest_at is None
    assert plan(customer, type_key="return_approved", category="returns", now=now).digest_at is None


def _digest_customer(**fields):
    instant_pipeline()
    customer, order, shipment = customer_with_shipment(time_zone="UTC", **fields)
    prefs_for(customer, rhythm={"shipping": "daily", "returns": "daily"}, digest_hour=18, quiet_hours_enabled=False)
    return customer, order, shipment


def test_digest_merges_superseded_updates_of_one_shipment():
    # Given a customer on a daily digest for shipping, and a shipment shipped then out for delivery
    customer, _order, shipment = _digest_customer()
    carrier_scan(shipment, "shipped", minutes_ago=5)
    carrier_scan(shipment, "out_for_delivery")
    process_events()
    held = Notification.objects.filter(customer=customer, hold="digest")
    # Then nothing was sent, and the older update was superseded by the newer one (merged)
    assert not Delivery.objects.filter(notification__customer=customer).exists()
    assert set(held.filter(status="planned").values_list("notification_type__key", flat=True)) == {
        "order_confirmed",
        "shipment_out_for_delivery",
    }
    assert held.filter(status="superseded", notification_type__key="shipment_shipped").exists()
    # When the digest time comes and the digest is built and sent
    make_due(held.filter(status="planned"))
    deliveries = digests_build_due()
    for delivery in deliveries:
        delivery_send(delivery_id=delivery.pk)
    # Then the digest lists only the latest update
    email = SandboxMessage.objects.get(channel="email", to=customer.email)
    assert email.subject == f"Your updates from {customer.brand.name} (2)"
    assert "out for delivery" in email.body_text.lower() and "has shipped" not in email.body_text.lower()


def test_digest_for_the_same_day_is_not_built_twice():
    customer, _order, _shipment = _digest_customer()
    carrier_scan(_shipment, "shipped")
    process_events()
    due = timezone.now() + dt.timedelta(days=1)
    assert digest_build(customer_id=customer.pk, now=due)
    # A late held notification for the same local day waits for the next digest
    n = Notification.objects.filter(customer=customer, digest__isnull=False).first()
    Notification.objects.filter(pk=n.pk).update(status="planned", digest=None, send_after=due)
    assert digest_build(customer_id=customer.pk, now=due) == []
    n.refresh_from_db()
    assert n.status == "planned" and n.send_after > due


# --- frequency caps -----------------------------------------------------------------------------------


def test_frequency_cap_defers_the_excess_into_the_next_digest(settings):
    # Given at most 2 non-critical SMS a day and an SMS-only customer (no email)
    settings.FREQUENCY_CAPS = {"sms": 2}
    instant_pipeline()
    customer = CustomerFactory(email="", time_zone="UTC")
    prefs_for(customer, quiet_hours_enabled=False)
    rule = Rule.objects.get(event_type="shipment.shipped")
    channel = SalesChannelFactory(brand=customer.brand)
    for _ in range(3):
        _order, shipment = order_with_shipment(customer=customer, channel=channel)
        carrier_scan(shipment, "shipped")
    process_events()
    notes = list(
        Notification.objects.filter(customer=customer, notification_type__key="shipment_shipped").order_by("id")
    )
    results = [(n.hold, n.skipped.get("sms", "")) for n in notes]
    # Then two went at once and the third waits for the digest, with the reason recorded
    assert results == [("", ""), ("", ""), ("cap", "cap")]
    assert "frequency cap" in notes[2].reason and not notes[2].deliveries.exists()
    assert rule.notification_type.critical is False


def test_caps_never_hold_critical(settings):
    settings.FREQUENCY_CAPS = {"sms": 0}
    customer = CustomerFactory(time_zone="UTC")
    assert plan(customer, type_key="shipment_exception", critical=True, channels=("sms",)).channels == ["sms"]


def test_planner_records_quiet_hours_on_notification_and_deliveries(settings):
    # Given a Tokyo customer at 23:00 and a shipped notice (email + SMS)
    instant_pipeline()
    customer, _order, shipment = customer_with_shipment(time_zone="Asia/Tokyo")
    prefs_for(customer, quiet_hours_enabled=True, quiet_start=dt.time(21), quiet_end=dt.time(8))
    carrier_scan(shipment, "shipped")
    from notifications.models import Event

    event = Event.objects.filter(type="shipment.shipped", customer=customer).get()
    night = at("Asia/Tokyo", 2026, 6, 10, 23, 0)
    notification, deliveries = notification_plan(
        event=event, customer=customer, rule=Rule.objects.get(event_type="shipment.shipped"), now=night
    )
    # Then the notification says why it waits, and only SMS waits
    assert notification.hold == "quiet_hours" and "quiet hours" in notification.reason
    by_channel = {d.channel: d.send_after for d in deliveries}
    assert by_channel == {"email": night, "sms": at("Asia/Tokyo", 2026, 6, 11, 8, 0)}
