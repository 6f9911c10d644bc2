"""Sends whose outcome nobody knows are reconciled with the provider, never resent blindly:
counted where the customer is, in the sandbox's outbox (it records every message it takes,
repeats included)."""

import datetime as dt

import pytest
from django.utils import timezone

from channels.base import Found, Reconciliation
from channels.models import SandboxMessage
from channels.sandbox import SandboxProvider
from notifications.models import Delivery, DeliveryAttempt
from notifications.services import dispatch
from notifications.services.dispatch import _claim_many, _record_many, deliveries_send
from notifications.services.inflight import Leases
from notifications.services.reconcile import deliveries_lease_expired, deliveries_reconcile
from tests.notifications.pipeline import customer_with_shipment, instant_pipeline, process_events

pytestmark = pytest.mark.django_db
D, A, R = Delivery.Status, DeliveryAttempt.Outcome, DeliveryAttempt.Resolution


class Clock:
    """``timezone.now()`` as the test sets it (every service reads it through the module)."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def confirmation():
    """An order confirmation email, planned and due (the sandbox on every channel)."""
    knobs = instant_pipeline()
    customer, _order, _shipment = customer_with_shipment(phone="")
    process_events()
    delivery = Delivery.objects.get(notification__customer=customer, channel="email")
    return knobs, delivery


def _messages(delivery) -> int:
    return SandboxMessage.objects.filter(delivery=delivery).count()


def test_a_dropped_answer_is_found_at_the_provider_and_not_sent_again(confirmation):
    # given a provider that takes the message, then drops the connection before answering
    knobs, delivery = confirmation
    knobs.sandbox_unknown_rate = 1.0
    knobs.save()

    # when it is sent
    follow_up = deliveries_send(delivery_ids=[delivery.pk])

    # then the attempt's outcome is unknown and the delivery waits for a look-up, not a resend
    delivery.refresh_from_db()
    attempt = delivery.attempts.get()
    assert (attempt.outcome, delivery.status) == (A.UNKNOWN, D.RECONCILING)
    assert follow_up == [delivery] and delivery.lease_until is None
    # when the look-up runs (the provider answers normally again)
    knobs.sandbox_unknown_rate = 0.0
    knobs.save()
    assert deliveries_reconcile(delivery_ids=[delivery.pk]) == []

    # then it was found: delivered, the attempt accepted by look-up, one message at the provider
    delivery.refresh_from_db()
    attempt.refresh_from_db()
    assert delivery.status == D.DELIVERED and delivery.provider_message_id.startswith("sbx-")
    assert (attempt.outcome, attempt.resolution) == (A.ACCEPTED, R.FOUND)
    assert _messages(delivery) == 1 and delivery.attempts.count() == 1


def test_a_refused_send_is_retried_blindly(confirmation):
    # given a provider that refuses the first send (it never took it)
    knobs, delivery = confirmation
    knobs.sandbox_fail_rate = 1.0
    knobs.save()
    [again] = deliveries_send(delivery_ids=[delivery.pk])
    assert again.status == D.PENDING and delivery.attempts.get().outcome == A.TRANSIENT

    # when it is due again and the provider takes it
    knobs.sandbox_fail_rate = 0.0
    knobs.save()
    deliveries_send(delivery_ids=[delivery.pk])

    # then two attempts, one message
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED and _messages(delivery) == 1
    assert list(delivery.attempts.values_list("outcome", flat=True)) == [A.TRANSIENT, A.ACCEPTED]


def test_a_worker_that_died_after_the_provider_took_it_is_reconciled_not_resent(confirmation, monkeypatch):
    # given a send claimed and made, and the worker killed before it recorded the answer
    _knobs, delivery = confirmation
    clock = Clock(monkeypatch)
    [claim] = _claim_many([delivery.pk])
    SandboxProvider(channel="email").send(
        dispatch.compose_messages([claim.delivery])[0], idempotency_key=claim.attempt.idempotency_key
    )
    delivery.refresh_from_db()
    assert delivery.status == D.SENDING and delivery.lease_until > clock.now

    # when the sweeper looks before the lease ends, nothing happens
    assert deliveries_lease_expired() == []
    # and once it has ended, the send's outcome is unknown and it is looked up
    clock.now = delivery.lease_until + dt.timedelta(seconds=1)
    [expired] = deliveries_lease_expired()
    assert expired.status == D.RECONCILING
    assert DeliveryAttempt.objects.get(delivery=delivery).error_code == "lease_expired"
    deliveries_reconcile(delivery_ids=[delivery.pk])

    # then found: delivered with the one message the provider holds
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED and _messages(delivery) == 1


def test_a_worker_that_died_before_calling_sends_once_the_provider_has_settled(confirmation, monkeypatch, settings):
    # given a provider whose record may lag 60 s behind, and a send claimed but never made
    _knobs, delivery = confirmation
    settings.RECONCILE_SETTLE_SECONDS = {**settings.RECONCILE_SETTLE_SECONDS, "sandbox": 60.0}
    clock = Clock(monkeypatch)
    _claim_many([delivery.pk])
    delivery.refresh_from_db()
    ended = delivery.lease_until
    clock.now = ended + dt.timedelta(seconds=1)
    deliveries_lease_expired()

    # when the first look-up finds nothing before the provider has settled
    clock.advance(settings.RECONCILE_FIRST_LOOKUP_SECONDS)
    [later] = deliveries_reconcile(delivery_ids=[delivery.pk])

    # then it waits until the settle time, sending nothing
    assert later.status == D.RECONCILING and later.send_after == ended + dt.timedelta(seconds=60)
    assert _messages(delivery) == 0
    # when the look-up at the settle time finds nothing either, it is sent again, once
    clock.now = later.send_after
    [again] = deliveries_reconcile(delivery_ids=[delivery.pk])
    assert again.status == D.PENDING
    assert DeliveryAttempt.objects.get(delivery=delivery, number=1).resolution == R.NOT_FOUND
    deliveries_send(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED and _messages(delivery) == 1 and delivery.attempt_count == 2


def test_a_late_answer_settles_the_reconciliation(confirmation, monkeypatch):
    # given a send whose lease ran out while its call was still going
    _knobs, delivery = confirmation
    clock = Clock(monkeypatch)
    [claim] = _claim_many([delivery.pk])
    clock.now = claim.delivery.lease_until + dt.timedelta(seconds=1)
    deliveries_lease_expired()

    # when the call's answer finally comes back: accepted
    from channels.base import SendResult, SendStatus

    _record_many([(claim, SendResult(SendStatus.ACCEPTED, provider_message_id="late-1"), 900)])

    # then the delivery is sent with that id, and the look-up has nothing left to do
    delivery.refresh_from_db()
    attempt = delivery.attempts.get()
    assert delivery.status == D.SENT and delivery.provider_message_id == "late-1"
    assert (attempt.outcome, attempt.resolution) == (A.ACCEPTED, R.LATE_ANSWER)
    assert deliveries_reconcile(delivery_ids=[delivery.pk]) == []


def test_a_provider_that_cannot_be_asked_for_hours_sends_the_delivery_to_the_dead_letters(
    confirmation, monkeypatch, settings
):
    # given a send whose outcome is unknown, and a provider whose look-up keeps failing
    knobs, delivery = confirmation
    knobs.sandbox_unknown_rate = 1.0
    knobs.save()
    deliveries_send(delivery_ids=[delivery.pk])
    monkeypatch.setattr(
        SandboxProvider, "reconcile", lambda self, lookup: Reconciliation(Found.UNAVAILABLE, error_text="HTTP 503")
    )
    clock = Clock(monkeypatch)

    # when it is asked within the give-up time, it is asked again later
    clock.advance(60)
    [later] = deliveries_reconcile(delivery_ids=[delivery.pk])
    assert later.status == D.RECONCILING and later.send_after > clock.now
    # and past the give-up time it is dead, with no fallback (it may have arrived)
    clock.advance(settings.RECONCILE_GIVE_UP_SECONDS)
    assert deliveries_reconcile(delivery_ids=[delivery.pk]) == []
    delivery.refresh_from_db()
    assert delivery.status == D.DEAD and "check with the provider" in delivery.error
    assert Delivery.objects.filter(notification=delivery.notification).count() == 1


def test_a_lease_covers_every_call_queued_ahead_on_the_send_threads(settings):
    # given 8 send threads and a provider whose call takes at most 10 s
    settings.SEND_THREADS, settings.DELIVERY_LEASE_MARGIN_SECONDS = 8, 5

    class Slow:
        parallel = True

        def call_seconds(self):
            return 10.0

    now = timezone.now()
    leases = Leases(now)
    ends = [(leases.next(Slow()) - now).total_seconds() for _ in range(50)]

    # then the first calls end within one call and the margin, and the 50th (which starts after
    # 49 calls kept 8 threads busy) within 49 * 10 / 8 s more
    assert ends[0] == 15.0
    assert ends[49] == pytest.approx(49 * 10 / 8 + 15.0)
    assert ends == sorted(ends)
