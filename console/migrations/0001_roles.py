"""The console's groups (Support agent, Merchant editor, Administrator) and the two custom
permissions (``console/roles.py``). Permissions are normally created after ``migrate``
(post_migrate), so on a fresh database they are created here first, for every app migrated.
On a database that had them already (an earlier migration made them) it only adds the grants the
roles now define and the groups lack; undoing it keeps the groups (they predate it there)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from console.roles import roles_sync

    for app_config in apps.get_app_configs():
        app_config.models_module = True  # create_permissions skips apps without a models module
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        Group=apps.get_model("auth", "Group"),
        Permission=apps.get_model("auth", "Permission"),
        ContentType=apps.get_model("contenttypes", "ContentType"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_remove_partner_sales_channels_delete_idempotencykey_and_more"),
        ("customers", "0001_initial"),
        ("partners", "0001_initial"),
        ("catalogue", "0001_initial"),
        ("channels", "0001_initial"),
        ("intake", "0001_initial"),
        ("notifications", "0010_remove_template_notification_type_and_more"),
        ("preferences", "0005_remove_customer_brand_alter_typepreference_customer_and_more"),
        ("orders", "0006_delete_saleschannel"),
        ("returns", "0001_initial"),
        ("inventory", "0003_alter_backinstocksubscription_customer_and_more"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
