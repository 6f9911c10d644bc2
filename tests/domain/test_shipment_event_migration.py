"""The migration that gives carrier events a ``not_applied_reason``: the reason the carrier doors
wrote into ``raw["not_applied"]`` moves into the field (and back when migrating backwards), an
older unapplied event without one was a repeat of its shipment's status, and no row is lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ShipmentFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("orders", "0003_intake_sources_and_carriers")
AFTER = ("orders", "0004_shipment_event_not_applied_reason")


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


def test_reasons_move_out_of_raw_into_the_field_and_back(migrate):
    # given a database before the migration, with events the old code stored
    shipment = ShipmentFactory(status="out_for_delivery")
    old = migrate(BEFORE).get_model("orders", "ShipmentEvent")
    rows = {
        "applied": dict(status="out_for_delivery", applied=True, raw={"checkpoint": 1}),
        "late": dict(status="in_transit", applied=False, raw={"checkpoint": 2, "not_applied": "late"}),
        "not_allowed": dict(status="label_created", applied=False, raw={"not_applied": "not_allowed"}),
        "repeat": dict(status="out_for_delivery", applied=False, raw={"checkpoint": 3}),
    }
    ids = {
        name: old.objects.create(
            shipment_id=shipment.pk, occurred_at="2025-05-01T10:00:00Z", dedupe_key=name, **fields
        ).pk
        for name, fields in rows.items()
    }

    # when the migration runs
    new = migrate(AFTER).get_model("orders", "ShipmentEvent")

    # then every row is still there, the reason is a field and the raw body is the carrier's again
    after = {name: new.objects.get(pk=pk) for name, pk in ids.items()}
    assert {name: (e.applied, e.not_applied_reason, e.raw) for name, e in after.items()} == {
        "applied": (True, "", {"checkpoint": 1}),
        "late": (False, "late", {"checkpoint": 2}),
        "not_allowed": (False, "not_allowed", {}),
        "repeat": (False, "same_status", {"checkpoint": 3}),
    }

    # and migrating backwards puts the carrier doors' reasons back into raw
    old = migrate(BEFORE).get_model("orders", "ShipmentEvent")
    assert {name: old.objects.get(pk=pk).raw for name, pk in ids.items()} == {
        name: fields["raw"] for name, fields in rows.items()
    }
