"""Once created the console's groups here; they are the console app's now (its migration
``0001_roles`` creates them, after every model has reached its app). Kept, empty, for the
databases that applied it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_initial"),
        ("notifications", "0006_console_queues_versions_kpi_indexes"),
        ("preferences", "0004_preferences_center"),
        ("orders", "0003_intake_sources_and_carriers"),
        ("returns", "0001_initial"),
        ("inventory", "0002_initial"),
    ]

    operations = []
