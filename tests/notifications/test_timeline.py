"""The customer timeline for support agents: built from the real pipeline run synchronously, it
shows superseded, not sent (no consent, no contact) and delivered notifications with their
deliveries and attempts, in a fixed number of queries; the admin page renders it and is linked
from the customer and notification pages."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from console.selectors import customer_timeline
from notifications.models import Delivery, DeliveryAttempt, Notification
from preferences.models import ChannelConsent
from tests.notifications.pipeline import (
    carrier_scan,
    customer_with_shipment,
    instant_pipeline,
    order_with_shipment,
    process_events,
    run_pipeline,
    send_due,
    send_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _instant():
    instant_pipeline()


def entries_for(notification: Notification, timeline: list[dict]) -> dict:
    return next(e for e in timeline if e["kind"] == "notification" and e["pk"] == notification.pk)


def timeline_url(customer) -> str:
    return reverse("admin:notifications_customer_timeline", args=[customer.pk])


def test_superseded_notification_names_the_newer_update():
    # given a shipment that goes out for delivery and is delivered before anything was sent
    customer, _order, shipment = customer_with_shipment()
    carrier_scan(shipment, "out_for_delivery", minutes_ago=3)
    carrier_scan(shipment, "delivered")

    # when the workers run and the agent opens the customer's timeline
    run_pipeline()
    timeline = customer_timeline(customer_id=customer.pk)

    # then the "out for delivery" notification is superseded by the "delivered" one, which went out
    out = Notification.objects.get(customer=customer, notification_type__key="shipment_out_for_delivery")
    delivered = Notification.objects.get(customer=customer, notification_type__key="shipment_delivered")
    assert out.status == Notification.Status.SUPERSEDED and out.superseded_by == delivered
    entry = entries_for(out, timeline)
    assert entry["status"] == "superseded"
    assert entry["tone"] == "warn"
    assert entry["why"] == f"Superseded by a newer update: Delivered (notification #{delivered.pk}, delivered)"
    # and its deliveries never reached a provider
    assert set(out.deliveries.values_list("status", flat=True)) == {Delivery.Status.SUPERSEDED}
    assert not DeliveryAttempt.objects.filter(delivery__notification=out).exists()


def test_not_sent_notification_says_no_consent_for_sms():
    # given a customer who texted STOP and has no email address
    customer, _order, shipment = customer_with_shipment(email="")
    ChannelConsent.objects.create(
        customer=customer, channel="sms", state=ChannelConsent.State.OPTED_OUT, source="sms_keyword"
    )

    # when the shipment is delivered and the pipeline runs
    carrier_scan(shipment, "delivered")
    run_pipeline()

    # then the "delivered" notification was not sent, and the timeline says why per channel
    notification = Notification.objects.get(customer=customer, notification_type__key="shipment_delivered")
    assert notification.status == Notification.Status.NOT_SENT
    assert notification.skipped == {"email": "no_contact", "sms": "no_consent"}
    entry = entries_for(notification, customer_timeline(customer_id=customer.pk))
    assert entry["why"].startswith("Not sent: ")
    assert "SMS: no consent (the customer opted out of this channel)" in entry["why"]
    assert "Email: no contact" in entry["why"]
    assert not notification.deliveries.exists()


def test_a_channel_left_out_is_explained_on_a_delivered_notification():
    # given a customer who opted out of SMS but has an email address
    customer, _order, shipment = customer_with_shipment()
    ChannelConsent.objects.create(
        customer=customer, channel="sms", state=ChannelConsent.State.OPTED_OUT, source="sms_keyword"
    )

    # when the shipment is delivered
    carrier_scan(shipment, "delivered")
    run_pipeline()

    # then the notification went out by email and the timeline says SMS was skipped for no consent
    notification = Notification.objects.get(customer=customer, notification_type__key="shipment_delivered")
    assert notification.status == Notification.Status.DELIVERED
    entry = entries_for(notification, customer_timeline(customer_id=customer.pk))
    assert entry["why"] == ""
    assert "Skipped SMS: no consent (the customer opted out of this channel)" in entry["details"]


def test_delivered_notification_shows_its_deliveries_and_attempts_in_order():
    # given a delivered shipment whose first SMS and email sends fail once (sandbox told to fail)
    customer, _order, shipment = customer_with_shipment()
    carrier_scan(shipment, "delivered")
    process_events()
    knobs = instant_pipeline(fail_rate=1.0)
    assert send_round() == 3  # the order confirmation email, the "delivered" email and SMS
    knobs.sandbox_fail_rate = 0.0
    knobs.save()

    # when the retries go through and the agent opens the timeline
    send_due()
    timeline = customer_timeline(customer_id=customer.pk)

    # then the notification is delivered, each delivery is listed after it, each with two attempts
    notification = Notification.objects.get(customer=customer, notification_type__key="shipment_delivered")
    assert notification.status == Notification.Status.DELIVERED
    deliveries = list(notification.deliveries.order_by("id"))
    assert {d.channel for d in deliveries} == {"email", "sms"}
    kinds = [(e["kind"], e["pk"]) for e in timeline]
    assert kinds.index(("notification", notification.pk)) < min(kinds.index(("delivery", d.pk)) for d in deliveries)
    for delivery in deliveries:
        assert delivery.status == Delivery.Status.DELIVERED
        attempts = [
            e
            for e in timeline
            if e["kind"] == "attempt" and e["pk"] in set(delivery.attempts.values_list("pk", flat=True))
        ]
        assert [(a["status"], a["why"]) for a in attempts] == [
            ("transient", "sandbox_unavailable: Sandbox told to refuse this send (SANDBOX_FAIL_RATE)"),
            ("accepted", ""),
        ]
    # and the status changes behind the events are there too, before the event they caused
    audit = next(
        e
        for e in timeline
        if e["kind"] == "audit" and e["title"].endswith("-> delivered") and e["title"].startswith("Shipment")
    )
    event = next(e for e in timeline if e["kind"] == "event" and e["title"] == "Event shipment.delivered")
    assert timeline.index(audit) < timeline.index(event)


def test_dead_notification_shows_the_last_error():
    # given a sandbox failing every send
    instant_pipeline(fail_rate=1.0)
    customer, _order, _shipment = customer_with_shipment()

    # when the order confirmation email has used all its tries
    run_pipeline()

    # then the notification is dead and the timeline gives the last error, and each attempt's
    notification = Notification.objects.get(customer=customer, notification_type__key="order_confirmed")
    assert notification.status == Notification.Status.DEAD
    timeline = customer_timeline(customer_id=customer.pk)
    entry = entries_for(notification, timeline)
    assert entry["tone"] == "error"
    assert entry["why"] == (
        "Failed on every channel; last error (Email): "
        "sandbox_unavailable: Sandbox told to refuse this send (SANDBOX_FAIL_RATE)"
    )
    assert [e["status"] for e in timeline if e["kind"] == "attempt"] == ["transient"] * settings.DELIVERY_MAX_ATTEMPTS


def test_timeline_queries_do_not_grow_with_history(django_assert_max_num_queries):
    # given a customer with one delivered shipment
    customer, order, shipment = customer_with_shipment()
    carrier_scan(shipment, "delivered")
    run_pipeline()
    with django_assert_max_num_queries(20) as few:
        customer_timeline(customer_id=customer.pk)

    # when the customer gets three more orders, shipped and delivered
    for _ in range(3):
        _order, more = order_with_shipment(customer=customer, channel=order.sales_channel)
        carrier_scan(more, "shipped")
        carrier_scan(more, "delivered")
    run_pipeline()

    # then the timeline is longer but takes no more queries
    with django_assert_max_num_queries(len(few.captured_queries)):
        longer = customer_timeline(customer_id=customer.pk)
    assert len([e for e in longer if e["kind"] == "notification"]) > 3


def test_admin_timeline_page_renders_and_is_linked(admin_client):
    # given a customer with a superseded and a delivered notification
    customer, _order, shipment = customer_with_shipment()
    carrier_scan(shipment, "out_for_delivery", minutes_ago=3)
    carrier_scan(shipment, "delivered")
    run_pipeline()

    # when a superuser opens the timeline
    response = admin_client.get(timeline_url(customer))

    # then it lists the notifications with their reasons and links to each row
    page = response.content.decode()
    assert response.status_code == 200
    assert "Superseded by a newer update: Delivered" in page
    delivered = Notification.objects.get(customer=customer, notification_type__key="shipment_delivered")
    assert reverse("admin:notifications_notification_change", args=[delivered.pk]) in page
    # and the customer's page and the notification's row link to it
    customer_page = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert timeline_url(customer) in customer_page.content.decode()
    notifications_page = admin_client.get(reverse("admin:notifications_notification_changelist"))
    assert timeline_url(customer) in notifications_page.content.decode()


def test_timeline_needs_the_view_permission(client, django_user_model):
    # given a staff user without permissions, then the same user allowed to view notifications
    customer, _order, _shipment = customer_with_shipment()
    agent = django_user_model.objects.create_user("newbie", password="pw", is_staff=True)
    client.force_login(agent)

    # when they open the timeline, then they are refused
    assert client.get(timeline_url(customer)).status_code == 403

    # when they are given the view permission, then it opens
    agent.user_permissions.add(Permission.objects.get(codename="view_notification"))
    assert client.get(timeline_url(customer)).status_code == 200


def test_unknown_customer_is_404(admin_client):
    assert admin_client.get(reverse("admin:notifications_customer_timeline", args=[999999])).status_code == 404
