"""Why a carrier event did not move its shipment becomes a field of its own.

Until now the carrier doors wrote it into the event's ``raw`` body (``raw["not_applied"]``:
``late`` or ``not_allowed``), and an unapplied event without that key was a repeat of the
shipment's status. The data step moves the key out of ``raw`` into ``not_applied_reason`` (and
back when migrating backwards), before the constraint that every unapplied event has a reason.
"""

from django.db import migrations, models

BATCH = 500


def move_reason_out_of_raw(apps, schema_editor):
    ShipmentEvent = apps.get_model("orders", "ShipmentEvent")
    batch = []
    for event in ShipmentEvent.objects.filter(applied=False).only("raw").iterator(chunk_size=BATCH):
        raw = event.raw
        reason = raw.pop("not_applied", "") if isinstance(raw, dict) else ""
        event.not_applied_reason = str(reason or "same_status")[:20]
        batch.append(event)
        if len(batch) >= BATCH:
            ShipmentEvent.objects.bulk_update(batch, ["raw", "not_applied_reason"])
            batch = []
    ShipmentEvent.objects.bulk_update(batch, ["raw", "not_applied_reason"])


def move_reason_back_into_raw(apps, schema_editor):
    ShipmentEvent = apps.get_model("orders", "ShipmentEvent")
    batch = []
    # A repeat of the shipment's status had no key in raw.
    unapplied = (
        ShipmentEvent.objects.filter(applied=False)
        .exclude(not_applied_reason="same_status")
        .only("raw", "not_applied_reason")
    )
    for event in unapplied.iterator(chunk_size=BATCH):
        raw = event.raw if isinstance(event.raw, dict) else {"raw": event.raw}
        event.raw = {**raw, "not_applied": event.not_applied_reason}
        batch.append(event)
        if len(batch) >= BATCH:
            ShipmentEvent.objects.bulk_update(batch, ["raw"])
            batch = []
    ShipmentEvent.objects.bulk_update(batch, ["raw"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_intake_sources_and_carriers"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipmentevent",
            name="not_applied_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("late", "Late (older than the newest event the shipment took in)"),
                    ("not_allowed", "Not allowed from the shipment's status"),
                    ("same_status", "The shipment's status already"),
                ],
                help_text="Why the event did not move the shipment (empty when it did)",
                max_length=20,
            ),
        ),
        migrations.RunPython(move_reason_out_of_raw, move_reason_back_into_raw),
        migrations.AddConstraint(
            model_name="shipmentevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("applied", True), ("not_applied_reason", ""))
                | models.Q(("applied", False), models.Q(("not_applied_reason", ""), _negated=True)),
                name="shipment_event_applied_or_reason",
            ),
        ),
    ]
