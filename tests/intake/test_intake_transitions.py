"""An intake record's status moves only through ``intake_record_transition`` (``INTAKE_MACHINE``):
each move is audited (processed, dead-lettered with its reason, resolved by an agent's replay),
a record waiting for another try does not move, and a forbidden move changes nothing."""

import pytest
from django.db import transaction

from core.audit import AuditAction
from core.transitions import InvalidTransition
from intake.models import IntakeRecord
from intake.services import intake_file_receive, intake_record_replay, intake_record_transition
from tests.domain.helpers import audit_rows
from tests.intake.conftest import process_received
from tests.intake.samples import SHOPIFY_FULFILLMENT, body_of, csv_row, marketplace_csv

pytestmark = pytest.mark.django_db
R = IntakeRecord.Status


def moves(record) -> list[tuple]:
    return list(audit_rows(record).values_list("action", "from_state", "to_state", "actor"))


def test_processing_and_dead_letters_are_audited_and_a_replay_resolves_one(channel_of, catalogue):
    # given a report with a good row and a row whose price is not a number
    market = channel_of("marketplace", secret="")
    good, bad = intake_file_receive(
        sales_channel=market, filename="r.txt", content=marketplace_csv(csv_row("71-1"), csv_row("71-2", price="abc"))
    )

    # when the intake worker processes them
    process_received()

    # then each move has its audit row: processed, and a dead letter with its reason
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == (R.PROCESSED, R.FAILED)
    assert moves(good) == [(AuditAction.STATUS_CHANGED, R.RECEIVED, R.PROCESSED, "system:intake")]
    assert moves(bad) == [(AuditAction.STATUS_CHANGED, R.RECEIVED, R.FAILED, "system:intake")]
    assert "lines[0].line_total: decimal" in audit_rows(bad).get().reason

    # when an agent fixes the price and replays it
    fixed = {"rows": [{**bad.payload["rows"][0], "item-price": "19.00"}]}
    done = intake_record_replay(record=bad, actor="user:agent", payload=fixed)

    # then the record is resolved, audited as the agent's resolution after the payload edit
    assert done.status == R.RESOLVED
    assert moves(done)[1:] == [
        (AuditAction.INTAKE_PAYLOAD_EDITED, "", "", "user:agent"),
        (AuditAction.INTAKE_RESOLVED, R.FAILED, R.RESOLVED, "user:agent"),
    ]


def test_a_record_waiting_for_another_try_does_not_move(channel_of, post_shopify):
    # given a Shopify fulfillment that came before its order
    shop = channel_of("shopify")
    post_shopify(shop, "fulfillments/create", body_of(SHOPIFY_FULFILLMENT))

    # when the worker tries it (deferred: its order is not in yet)
    [record] = process_received()

    # then it waits (received, one attempt, why kept) with no audit row: it did not move
    record.refresh_from_db()
    assert (record.status, record.attempts, record.errors[0]["rule"]) == (R.RECEIVED, 1, "unknown_order")
    assert moves(record) == []


def test_a_processed_record_cannot_become_a_dead_letter(channel_of, catalogue):
    # given a processed record
    market = channel_of("marketplace", secret="")
    [record] = intake_file_receive(sales_channel=market, filename="r.txt", content=marketplace_csv(csv_row("73")))
    process_received()

    # when something tries to fail it, then the map refuses and nothing changes
    with transaction.atomic():
        locked = IntakeRecord.objects.select_for_update().get(pk=record.pk)
        with pytest.raises(InvalidTransition, match="from 'processed' to 'failed'"):
            intake_record_transition(record=locked, to_status=R.FAILED, actor="test")
    record.refresh_from_db()
    assert record.status == R.PROCESSED and len(moves(record)) == 1
