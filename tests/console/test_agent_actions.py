"""Agents' actions (acceptance 2 and the audit trail): search by tracking number lands on the
timeline, which says why a message was not sent; resend makes a new delivery linked to the old
one; one-off messages, requeue, suppression lifts and queue work are each audited with who and
why."""

import pytest
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from catalogue.models import Template
from channels.models import SandboxMessage
from core.models import AuditLog
from notifications.models import CallbackRequest, Delivery, InboundMessage, Notification, Suppression
from notifications.services.receipts import suppression_add
from preferences.models import ChannelConsent
from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline, run_pipeline, send_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped():
    instant_pipeline()
    customer, order, shipment = customer_with_shipment(
        email="emma@example.com", phone="+12125550147", name="Emma Stone"
    )
    carrier_scan(shipment, "shipped")
    run_pipeline()
    return customer, order, shipment


def audit_rows(obj):
    return list(
        AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)).values_list(
            "action", "actor", "reason"
        )
    )


def test_search_by_tracking_number_lands_on_the_timeline_which_says_why_not_sent(agent_client):
    # given a customer who opted out of SMS and has no email, whose shipment went out
    instant_pipeline()
    customer, order, shipment = customer_with_shipment(email="", phone="+12125550199", name="Noah Quiet")
    ChannelConsent.objects.create(customer=customer, channel="sms", state="opted_out", source="sms_keyword")
    carrier_scan(shipment, "shipped")
    run_pipeline()
    # when an agent searches the tracking number
    response = agent_client.get(reverse("console:search"), {"q": shipment.tracking_number}, follow=True)
    # then they land on the customer's timeline, which says why nothing was sent
    assert response.redirect_chain[-1][0] == reverse("admin:notifications_customer_timeline", args=[customer.pk])
    page = response.content.decode()
    assert "Not sent: " in page and "SMS: no consent (the customer opted out of this channel)" in page


def test_search_by_order_number_name_and_email(agent_client, shipped):
    customer, order, shipment = shipped
    for q in (order.external_id, "Emma Sto", "emma@example.com", "+12125550147"):
        response = agent_client.get(reverse("console:search"), {"q": q})
        assert response.status_code == 302 and response.url.endswith(f"/timeline/{customer.pk}/"), q
    # and the customers list finds them by tracking number too
    page = agent_client.get(reverse("admin:customers_customer_changelist"), {"q": shipment.tracking_number})
    assert "Emma Stone" in page.content.decode()


def test_resend_creates_a_linked_delivery_sends_it_and_logs_who_and_why(
    agent_client, shipped, django_capture_on_commit_callbacks
):
    customer, *_ = shipped
    old = Delivery.objects.get(
        notification__customer=customer, notification__notification_type__key="shipment_shipped", channel="email"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = agent_client.post(reverse("console:resend", args=[old.pk]), {"reason": "customer deleted it"})
    assert response.status_code == 302
    new = Delivery.objects.get(resend_of=old)
    assert (new.channel, new.status, new.to) == ("email", Delivery.Status.PENDING, "emma@example.com")
    assert len(callbacks) == 1
    assert audit_rows(new) == [("resent", "user:alice", "customer deleted it")]
    assert audit_rows(old) == [("resend_requested", "user:alice", "customer deleted it")]
    send_due()
    new.refresh_from_db()
    assert new.status == Delivery.Status.DELIVERED
    assert SandboxMessage.objects.filter(delivery=new).count() == 1


def test_resend_needs_a_reason_and_is_refused_for_a_superseded_notification(agent, shipped):
    from django.core.exceptions import ValidationError

    from console.services import delivery_resend

    customer, *_ = shipped
    delivery = Delivery.objects.filter(notification__customer=customer).first()
    with pytest.raises(ValidationError):
        delivery_resend(delivery=delivery, actor="user:alice", reason=" ")
    Notification.objects.filter(pk=delivery.notification_id).update(status=Notification.Status.SUPERSEDED)
    with pytest.raises(ValidationError, match="superseded"):
        delivery_resend(delivery=delivery, actor="user:alice", reason="again")


def test_one_off_message_from_a_template_is_sent_and_audited(agent_client, shipped):
    customer, *_ = shipped
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")
    response = agent_client.post(
        reverse("console:oneoff", args=[customer.pk]),
        {"template": template.pk, "reason": "customer asked for the tracking link by text"},
    )
    assert response.status_code == 302
    notification = Notification.objects.get(customer=customer, event__type="console.one_off")
    assert audit_rows(notification) == [("one_off_sent", "user:alice", "customer asked for the tracking link by text")]
    send_due()
    message = SandboxMessage.objects.get(delivery__notification=notification)
    assert message.channel == "sms" and message.to == "+12125550147"


def test_lift_and_requeue_are_logged_with_the_agent(agent_client, shipped):
    suppression = suppression_add(channel="email", address="emma@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    url = reverse("admin:notifications_suppression_changelist")
    agent_client.post(
        url, {"action": "lift", helpers.ACTION_CHECKBOX_NAME: [suppression.pk], "apply": "1", "reason": "mailbox fixed"}
    )
    suppression.refresh_from_db()
    assert suppression.lifted_by == "user:alice"
    assert ("user:alice", "mailbox fixed") in [(a, r) for _, a, r in audit_rows(suppression)]


def test_agent_assigns_and_resolves_queue_items_audited(agent_client, shipped):
    customer, *_ = shipped
    inbound = InboundMessage.objects.create(
        provider="sandbox",
        provider_message_id="in-1",
        from_number=customer.phone,
        text="CALL ME",
        kind="call_me",
        customer=customer,
    )
    callback = CallbackRequest.objects.create(customer=customer, phone=customer.phone, inbound=inbound)
    url = reverse("admin:notifications_callbackrequest_changelist")
    agent_client.post(url, {"action": "assign_to_me", helpers.ACTION_CHECKBOX_NAME: [callback.pk]})
    callback.refresh_from_db()
    assert callback.assigned_to == "alice"
    assert "alice" in agent_client.get(url, {"assigned": "me"}).content.decode()
    agent_client.post(
        url,
        {
            "action": "resolve",
            helpers.ACTION_CHECKBOX_NAME: [callback.pk],
            "apply": "1",
            "reason": "called back, delivery moved to Friday",
        },
    )
    callback.refresh_from_db()
    assert callback.handled_by == "user:alice" and callback.handled_at
    assert [a for a, _, _ in audit_rows(callback)] == ["assigned", "resolved"] or sorted(
        a for a, _, _ in audit_rows(callback)
    ) == ["assigned", "resolved"]
    assert ("resolved", "user:alice", "called back, delivery moved to Friday") in audit_rows(callback)


def test_merchant_editor_cannot_resend_or_work_queues(editor_client, shipped):
    customer, *_ = shipped
    delivery = Delivery.objects.filter(notification__customer=customer).first()
    assert editor_client.post(reverse("console:resend", args=[delivery.pk]), {"reason": "x"}).status_code == 403
    assert not Delivery.objects.filter(resend_of=delivery).exists()
