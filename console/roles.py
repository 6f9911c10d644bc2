"""The console's roles: Django groups with least privilege, created by a data migration
(``console/migrations/0001_roles``) and kept current after every ``migrate``.

- **Support agent**: reads customers (with their contact details), orders, shipments, returns and
  everything the pipeline wrote; requeues and resends deliveries, lifts suppressions, sends one-off
  messages and works the reply queues. Cannot change templates, rules or notification types.
- **Merchant editor**: changes templates, rules and notification types and sees the KPI dashboard;
  no view permission on customers, so no contact details (studio previews use sample or
  anonymised event data).
- **Administrator**: every permission.

Custom permissions (rows created here, no model change): ``customers.view_customer_contact``
(email and phone shown in the timeline and previews) and ``notifications.view_kpi_dashboard``.
"""

SUPPORT_AGENT, MERCHANT_EDITOR, ADMINISTRATOR = "Support agent", "Merchant editor", "Administrator"

# (app_label, model, codename, name) of the permissions no model's Meta declares.
CUSTOM_PERMISSIONS = [
    ("customers", "customer", "view_customer_contact", "Can view customers' contact details (email, phone)"),
    ("notifications", "delivery", "view_kpi_dashboard", "Can view the KPI dashboard"),
]


def _view(app: str, *models: str) -> list[str]:
    return [f"{app}.view_{m}" for m in models]


ROLES: dict[str, list[str]] = {
    SUPPORT_AGENT: [
        *_view("customers", "brand", "saleschannel", "customer", "customeridentity"),
        "customers.view_customer_contact",
        *_view(
            "preferences", "channelconsent", "typepreference", "consentlog", "customerpreferences", "pushsubscription"
        ),
        *_view("orders", "order", "orderline", "shipment", "shipmentline", "shipmentevent"),
        *_view("returns", "returnrequest", "returnline"),
        *_view(
            "notifications",
            "event",
            "notification",
            "delivery",
            "deliveryattempt",
            "providerevent",
            "suppression",
            "inboundmessage",
            "reschedulerequest",
            "callbackrequest",
            "digest",
        ),
        *_view("channels", "sandboxmessage"),
        *_view("catalogue", "notificationtype", "rule", "template", "templateversion"),
        "notifications.change_delivery",  # requeue, resend, one-off send
        "notifications.change_suppression",  # lift
        "notifications.change_inboundmessage",
        "notifications.change_reschedulerequest",
        "notifications.change_callbackrequest",  # the queues: assign, resolve
        "notifications.view_kpi_dashboard",
        "core.view_auditlog",
    ],
    MERCHANT_EDITOR: [
        "customers.view_brand",
        *[
            f"catalogue.{action}_{model}"
            for model in ("template", "rule", "notificationtype")
            for action in ("view", "add", "change")
        ],
        "catalogue.view_templateversion",
        "catalogue.add_templateversion",
        "notifications.view_kpi_dashboard",
    ],
    ADMINISTRATOR: ["*"],  # every permission there is
}


def ensure_custom_permissions(*, Permission, ContentType) -> None:
    for app_label, model, codename, name in CUSTOM_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})


def roles_sync(*, Group, Permission, ContentType) -> dict[str, int]:
    """Create the groups and grant their permissions (additive: never removes a grant someone
    added by hand). Works with a migration's historical models or the real ones. Returns the
    number of permissions each group holds."""
    ensure_custom_permissions(Permission=Permission, ContentType=ContentType)
    counts = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        if perms == ["*"]:
            wanted = list(Permission.objects.all())
        else:
            wanted = []
            for dotted in perms:
                app_label, codename = dotted.split(".", 1)
                wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
        counts[name] = group.permissions.count()
    return counts


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: permissions of models added later reach the groups too (the Administrator
    gets every new permission). post_migrate is sent once per app, each after that app's
    permissions exist, so this acts on the last app's signal only."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    with_models = [config.label for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1]:
        return
    roles_sync(Group=Group, Permission=Permission, ContentType=ContentType)
