"""The console's groups (Support agent, Merchant editor, Administrator) and the two custom
permissions (core/roles.py). Permissions are normally created after ``migrate`` (post_migrate),
so on a fresh database they are created here first, for every app already migrated."""
from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from core.roles import roles_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # create_permissions skips apps without a models module
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(Group=apps.get_model("auth", "Group"), Permission=apps.get_model("auth", "Permission"),
               ContentType=apps.get_model("contenttypes", "ContentType"))


def remove_roles(apps, schema_editor):
    from core.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


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

    operations = [migrations.RunPython(create_roles, remove_roles)]
