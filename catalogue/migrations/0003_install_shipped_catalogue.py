"""The shipped catalogue as data: types, rules and the message copy of ``catalogue/copy/``,
installed where missing (a database that has them keeps its merchants' edits)."""

from django.db import migrations


def install(apps, schema_editor):
    from catalogue.shipped import ensure_catalogue

    ensure_catalogue(
        NotificationType=apps.get_model("catalogue", "NotificationType"),
        Rule=apps.get_model("catalogue", "Rule"),
        Template=apps.get_model("catalogue", "Template"),
    )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_account_and_staff_categories")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
