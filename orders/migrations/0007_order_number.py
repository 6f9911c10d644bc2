"""The order number the customer sees, apart from the channel's id of the order. Orders taken in
before it keep showing what they showed: their number is their external id."""

from django.db import migrations, models
from django.db.models import F


def number_from_external_id(apps, schema_editor):
    apps.get_model("orders", "Order").objects.filter(number="").update(number=F("external_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_delete_saleschannel"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="number",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                help_text="The order number the customer sees (Shopify's 1042 for its order 6102938475610), "
                "without a leading '#'; the external id when the channel has no other",
                max_length=120,
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="external_id",
            field=models.CharField(
                help_text="The order's id in its sales channel: what later updates from the channel name it by",
                max_length=120,
            ),
        ),
        migrations.RunPython(number_from_external_id, migrations.RunPython.noop, elidable=True),
    ]
