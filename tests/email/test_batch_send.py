"""A batch of emails through the real anymail Postmark backend, sent side by side from the
dispatcher's thread pool: one POST per delivery, each recorded with its own message id, and a
failure of one send retried without touching the others."""

import pytest
from django.db import transaction

from notifications.models import Delivery, DeliveryAttempt
from notifications.services.dispatch import deliveries_send
from tests.email.conftest import process_events
from tests.notifications.pipeline import carrier_scan, customer_with_shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def six_emails(postmark, settings):
    settings.SEND_THREADS = 4
    for _ in range(6):
        _customer, _order, shipment = customer_with_shipment(phone="")
        with transaction.atomic():
            carrier_scan(shipment, "delivered")
    process_events()
    postmark.reset()
    return list(
        Delivery.objects.filter(
            channel="email", status="pending", notification__notification_type__key="shipment_delivered"
        ).order_by("pk")
    )


def test_a_batch_goes_out_in_parallel_once_each(postmark, six_emails):
    assert len(six_emails) == 6
    assert deliveries_send(delivery_ids=[d.pk for d in six_emails]) == []
    sends = postmark.sends("postmark")
    assert sorted(s["json"]["To"] for s in sends) == sorted(d.to for d in six_emails)
    by_id = {d.pk: d for d in Delivery.objects.filter(pk__in=[d.pk for d in six_emails])}
    assert {d.status for d in by_id.values()} == {"sent"}
    assert len({d.provider_message_id for d in by_id.values()}) == 6  # each its own answer
    # The ESP got each delivery's id as metadata: each answer was recorded on the right row.
    for send in sends:
        assert by_id[int(send["json"]["Metadata"]["delivery_id"])].to == send["json"]["To"]


def test_one_failed_send_in_a_batch_is_retried_alone(postmark, six_emails):
    postmark.fail_next("500")
    follow_up = deliveries_send(delivery_ids=[d.pk for d in six_emails])
    statuses = sorted(Delivery.objects.filter(pk__in=[d.pk for d in six_emails]).values_list("status", flat=True))
    assert statuses == ["pending"] + ["sent"] * 5
    assert [d.status for d in follow_up] == ["pending"]
    outcomes = sorted(DeliveryAttempt.objects.filter(delivery__in=six_emails).values_list("outcome", flat=True))
    assert outcomes == ["accepted"] * 5 + ["transient"]
    assert deliveries_send(delivery_ids=[follow_up[0].pk]) == []
    assert Delivery.objects.get(pk=follow_up[0].pk).status == "sent"
    assert len(postmark.sends("postmark")) == 7  # six accepted once each, plus the failed call
