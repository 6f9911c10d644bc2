"""Upgrading a database made before the house (one app per job) loses no row.

The test database is migrated back to the schema the product had before the house (every app at
its last migration of that time, the apps the house created at zero), every table gets rows
through that schema's historical models (``tests.historical_rows``), and ``migrate`` brings it to
today's schema as an upgrade would, post_migrate included. Then every table holds what it held,
the models that moved read their rows through their new apps, and content types, permissions,
group grants and the rows pointing at content types follow the models to their new apps.
"""

import pytest
from django.apps import apps as installed
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname, get_language

from core.models import AuditLog
from tests.historical_rows import HistoricalRows

pytestmark = pytest.mark.django_db(transaction=True)

# Each app's last migration before the house; Django's and third-party apps stay at their latest.
BEFORE_THE_HOUSE = {
    "core": "0004_publish_failure",
    "preferences": "0004_preferences_center",
    "orders": "0004_shipment_event_not_applied_reason",
    "returns": "0001_initial",
    "inventory": "0002_initial",
    "notifications": "0009_reconcile_unknown_outcomes",
}
HOUSE_APPS = {
    "customers",
    "partners",
    "intake",
    "catalogue",
    "channels",
    "console",
    "insights",
    "demo",
}

# Each model the house moved: where it was -> where it is (its table kept).
MOVED = {
    "preferences.Brand": "customers.Brand",
    "preferences.Customer": "customers.Customer",
    "preferences.CustomerIdentity": "customers.CustomerIdentity",
    "orders.SalesChannel": "customers.SalesChannel",
    "core.Partner": "partners.Partner",
    "core.IdempotencyKey": "partners.IdempotencyKey",
    "orders.ChannelIntakeSettings": "intake.ChannelIntakeSettings",
    "orders.IntakeRecord": "intake.IntakeRecord",
    "orders.CarrierAccount": "intake.CarrierAccount",
    "orders.CarrierStatusMapping": "intake.CarrierStatusMapping",
    "notifications.NotificationType": "catalogue.NotificationType",
    "notifications.Rule": "catalogue.Rule",
    "notifications.Template": "catalogue.Template",
    "notifications.TemplateVersion": "catalogue.TemplateVersion",
    "notifications.SandboxMessage": "channels.SandboxMessage",
}
# A content type's (app label, model) before the house -> its app label after.
NEW_APP_LABEL = {tuple(old.lower().split(".")): new.split(".")[0] for old, new in MOVED.items()}

# The console's groups; the migration that made them before the house (core 0003) is empty now.
ROLES = ("Support agent", "Merchant editor", "Administrator")
# Tables the upgrade adds rows to: its migrations, and the console roles' grants.
GROWING = {"django_migrations", "auth_group_permissions"}


def _targets_before_the_house(graph) -> list[tuple[str, str | None]]:
    return [(app, None if app in HOUSE_APPS else BEFORE_THE_HOUSE.get(app, leaf)) for app, leaf in graph.leaf_nodes()]


@pytest.fixture
def schema_before_the_house(transactional_db):
    """The test database at the schema before the house; yields that schema's historical apps.
    Afterwards, passed or failed, the database is back at today's schema for the tests after."""
    executor = MigrationExecutor(connection)
    targets = _targets_before_the_house(executor.loader.graph)
    try:
        executor.migrate(targets)
        assert MigrationExecutor(connection).migration_plan(targets) == []
        yield executor.loader.project_state([t for t in targets if t[1]]).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()


def _table_rows() -> dict[str, list[dict]]:
    """Every table's rows as raw SQL reads them (column -> value), in a stable order."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            tables[table] = sorted((dict(zip(columns, row, strict=True)) for row in cursor.fetchall()), key=repr)
    return tables


def _projected(rows: list[dict], columns: set[str]) -> list[tuple]:
    return sorted((tuple(sorted((c, v) for c, v in row.items() if c in columns)) for row in rows), key=repr)


def _translated_fields(model) -> set[str]:
    """The fields django-modeltranslation reads in the active language (``name`` from ``name_en``)."""
    try:
        return set(translator.get_options_for_model(model).fields)
    except NotRegistered:
        return set()


def _fill_the_old_database(old) -> dict:
    """Rows in every table of the schema before the house, as that product left them: the
    console's groups and its two custom permissions (made by its migrations then), one row per
    model, a group granted every permission on the models that later moved, an admin log entry
    and an audit row whose content types are moved models."""
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")

    def content_type(label):
        app_label, model = label.lower().split(".")
        return OldContentType.objects.get(app_label=app_label, model=model)

    contact, _ = OldPermission.objects.get_or_create(
        content_type=content_type("preferences.Customer"),
        codename="view_customer_contact",
        defaults={"name": "Can view customers' contact details (email, phone)"},
    )
    OldPermission.objects.get_or_create(
        content_type=content_type("notifications.Delivery"),
        codename="view_kpi_dashboard",
        defaults={"name": "Can view the KPI dashboard"},
    )
    # The groups as that time's migration made them (they outlive migrating back: start afresh).
    old.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    for name in ROLES[1:]:
        old.get_model("auth", "Group").objects.create(name=name)

    rows = HistoricalRows(
        old,
        chosen={
            "contenttypes.ContentType": content_type("preferences.Customer"),
            "auth.Permission": contact,
        },
        values={
            "auth.Group": {"name": ROLES[0]},
            "auth.User": {"username": "agent", "email": "agent@example.com"},
            "admin.LogEntry": lambda rows: {
                "content_type": content_type("preferences.Customer"),
                "object_id": str(rows["preferences.Customer"].pk),
            },
            "core.AuditLog": lambda rows: {
                "content_type": content_type("notifications.Template"),
                "object_id": str(rows["notifications.Template"].pk),
            },
            # One schedule per task, as django-celery-beat allows.
            "django_celery_beat.PeriodicTask": {"crontab": None, "solar": None, "clocked": None},
        },
    ).fill()
    moved = OldPermission.objects.filter(content_type__in=[content_type(label) for label in MOVED])
    rows["auth.Group"].permissions.add(*moved)
    return rows


def _grants(group) -> set[tuple[str, str, str]]:
    permissions = group.permissions.select_related("content_type")
    return {(p.content_type.app_label, p.content_type.model, p.codename) for p in permissions}


def _assert_every_table_kept_its_rows(before, after):
    counts = {table: (len(before[table]), len(after.get(table, []))) for table in before}
    assert {table: n for table, n in counts.items() if n[1] < n[0]} == {}, "rows lost"
    assert counts["django_migrations"][1] > counts["django_migrations"][0]

    def common(table):  # the columns a table kept (a column the upgrade dropped held what moved)
        return set(before[table][0]) & set(after[table][0]) if before[table] and after[table] else set()

    for table in GROWING:
        assert set(_projected(before[table], common(table))) <= set(_projected(after[table], common(table))), table
    # Content types are relabelled (checked below); every other table is unchanged.
    unchanged = set(before) - GROWING - {"django_content_type"}
    assert [
        table
        for table in sorted(unchanged)
        if _projected(after[table], common(table)) != _projected(before[table], common(table))
    ] == []


def _assert_moved_models_read_their_rows(old, rows, values_before):
    tables_now = {m._meta.db_table: m._meta.label for m in installed.get_models(include_auto_created=True)}
    labels_then = {m._meta.db_table: m._meta.label for m in old.get_models()}
    assert set(labels_then) <= set(tables_now)
    assert {then: tables_now[table] for table, then in labels_then.items() if then != tables_now[table]} == MOVED
    for old_label, new_label in MOVED.items():
        model = installed.get_model(new_label)
        row = model._base_manager.get(pk=rows[old_label].pk)
        then, translated = values_before[old_label], _translated_fields(model)
        # every field it had is there with its value (fields added since keep their defaults)
        assert set(then) <= {f.attname for f in model._meta.concrete_fields}, new_label
        assert {
            f.attname: getattr(row, f.attname)
            for f in model._meta.concrete_fields
            if f.name not in translated and f.attname in then
        } == {name: value for name, value in then.items() if name not in translated}, new_label
        for name in translated:
            assert getattr(row, name) == then[build_localized_fieldname(name, get_language())]
        for field in model._meta.concrete_fields:
            if field.is_relation and getattr(row, field.attname) is not None:
                related = getattr(row, field.name)
                assert isinstance(related, field.related_model), (new_label, field.name)
                assert related.pk == getattr(row, field.attname)
    partner = installed.get_model("partners.Partner").objects.get(pk=rows["core.Partner"].pk)
    assert list(partner.sales_channels.values_list("pk", flat=True)) == [rows["orders.SalesChannel"].pk]


def test_a_database_filled_before_the_house_upgrades_with_no_row_lost(schema_before_the_house):
    # given a database at the schema before the house, one content type per model of that schema
    old = schema_before_the_house
    OldContentType = old.get_model("contenttypes", "ContentType")
    assert set(OldContentType.objects.values_list("app_label", "model")) == {
        (m._meta.app_label, m._meta.model_name) for m in old.get_models()
    }
    # and rows in every one of its tables
    rows = _fill_the_old_database(old)
    before = _table_rows()
    assert set(before) == {m._meta.db_table for m in old.get_models(include_auto_created=True)} | {"django_migrations"}
    assert [table for table, table_rows in before.items() if not table_rows] == []
    # and what must follow the moved models: their rows' values, content types and grants
    values_before = {label: old.get_model(label)._base_manager.filter(pk=rows[label].pk).values()[0] for label in MOVED}
    content_types_before = {
        label: OldContentType.objects.get_by_natural_key(*label.lower().split(".")).pk for label in MOVED
    }
    grants_before = _grants(rows["auth.Group"])

    # when it is upgraded as an installation is
    call_command("migrate", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()

    # then it is at today's schema
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    # and every table holds what it held
    _assert_every_table_kept_its_rows(before, _table_rows())
    # and each moved model reads its rows, their values and relations through its new app
    _assert_moved_models_read_their_rows(old, rows, values_before)

    # and the content types are the same rows, the moved models' with their new app labels
    for old_label, new_label in MOVED.items():
        content_type = ContentType.objects.get_for_model(installed.get_model(new_label))
        assert content_type.pk == content_types_before[old_label]
        assert list(ContentType.objects.filter(model=content_type.model).values_list("app_label", flat=True)) == [
            content_type.app_label
        ]
    assert sorted(ContentType.objects.values_list("pk", "app_label", "model")) == sorted(
        (row["id"], NEW_APP_LABEL.get((row["app_label"], row["model"]), row["app_label"]), row["model"])
        for row in before["django_content_type"]
    )
    assert [f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all() if ct.model_class() is None] == []

    # and the group's grants follow them, and with them what its members may do
    group = Group.objects.get(name=ROLES[0])
    assert {(NEW_APP_LABEL[(app, model)], model, codename) for app, model, codename in grants_before} <= _grants(group)
    assert sorted(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == sorted(ROLES)
    user = User.objects.get(pk=rows["auth.User"].pk)
    assert list(user.groups.all()) == [group]
    for permission in (
        "customers.view_customer_contact",
        "customers.change_customer",
        "partners.view_partner",
        "intake.change_intakerecord",
        "catalogue.change_template",
        "channels.view_sandboxmessage",
    ):
        assert user.has_perm(permission), permission
    assert not user.has_perm("preferences.view_customer")
    assert not user.has_perm("notifications.change_template")

    # and the admin log entry and the audit row still point at the moved rows
    edited = LogEntry.objects.get(pk=rows["admin.LogEntry"].pk).get_edited_object()
    assert (edited._meta.label, edited.pk) == (
        "customers.Customer",
        rows["preferences.Customer"].pk,
    )
    subject = AuditLog.objects.get(pk=rows["core.AuditLog"].pk).subject
    assert (subject._meta.label, subject.pk) == (
        "catalogue.Template",
        rows["notifications.Template"].pk,
    )
