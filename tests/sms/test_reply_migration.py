"""The migration that makes automatic answers to texts notifications: answers recorded in the old
``InboundMessage.reply_*`` columns become ``sms_reply`` notifications with their delivery (and
attempt, when a call was made), linked from the inbound message, so no answer leaves the history;
one never sent is left dead for an agent, not sent days late."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("notifications", "0010_remove_template_notification_type_and_more")
AFTER = ("notifications", "0012_remove_inboundmessage_reply_columns")


@pytest.fixture
def migrate():
    """``migrate(target)`` runs the migrations to ``target`` and returns the models as of then;
    the database goes back to the latest migrations afterwards."""

    def to(target):
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_recorded_answers_become_notifications_with_their_delivery_and_attempt(migrate):
    # given inbound texts as the old code stored them: one answered, one failed, one never sent, one
    # with no answer, from a known customer and from an unknown number
    customer = CustomerFactory(phone="+33612340001", language="fr")
    old = migrate(BEFORE).get_model("notifications", "InboundMessage")
    now = timezone.now()
    rows = {
        "sent": dict(
            customer_id=customer.pk,
            from_number=customer.phone,
            kind="stop",
            reply_status="sent",
            reply_text="Brand : Vous ne recevrez plus de SMS.",
            reply_provider_message_id="v-1",
            replied_at=now,
        ),
        "failed": dict(
            from_number="+33612340002",
            kind="help",
            reply_status="failed",
            reply_text="Waypost help",
            reply_error="invalid: bad number",
            replied_at=now,
        ),
        "pending": dict(from_number="+33612340003", kind="other", reply_status="pending", reply_text="Thanks"),
        "none": dict(from_number="+33612340004", kind="other", reply_status="none"),
    }
    ids = {
        name: old.objects.create(
            provider="vonage",
            channel="sms",
            provider_message_id=f"in-{name}",
            to_number="447700900000",
            text="x",
            **fields,
        ).pk
        for name, fields in rows.items()
    }

    # when the migrations run
    apps = migrate(AFTER)
    inbound = apps.get_model("notifications", "InboundMessage")

    # then each recorded answer is a notification with its delivery, the text and route kept
    answers = {name: inbound.objects.get(pk=pk).reply for name, pk in ids.items()}
    assert answers["none"] is None
    summary = {}
    for name in ("sent", "failed", "pending"):
        n = answers[name]
        d = n.deliveries.get()
        summary[name] = (
            n.notification_type.key,
            n.status,
            n.customer_id,
            d.status,
            d.to,
            list(d.attempts.values_list("outcome", "provider_message_id")),
        )
        assert n.content["body_text"] == rows[name]["reply_text"] and n.content["sender"] == "447700900000"
        assert n.event.type == f"inbound.{rows[name]['kind']}" and n.event.processed_at is not None
    assert summary == {
        "sent": ("sms_reply", "sent", customer.pk, "sent", customer.phone, [("accepted", "v-1")]),
        "failed": ("sms_reply", "dead", None, "dead", "+33612340002", [("permanent", "")]),
        "pending": ("sms_reply", "dead", None, "dead", "+33612340003", []),
    }
    assert "invalid: bad number" in answers["failed"].deliveries.get().error
