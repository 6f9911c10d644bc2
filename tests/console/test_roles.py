"""Roles (acceptance 3): the data migration's groups give least privilege. A support agent
reads customers and the timeline but cannot change templates or rules (403); a merchant editor
changes templates and sees the dashboard but cannot open customers or their contact details;
an administrator can do everything."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from catalogue.models import Rule, Template
from console.roles import ADMINISTRATOR, MERCHANT_EDITOR, SUPPORT_AGENT
from tests.notifications.pipeline import carrier_scan, customer_with_shipment, instant_pipeline, run_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped():
    instant_pipeline()
    customer, order, shipment = customer_with_shipment(
        email="emma@example.com", phone="+12125550147", name="Emma Stone"
    )
    carrier_scan(shipment, "shipped")
    run_pipeline()
    return customer, order, shipment


def test_the_migration_created_the_three_groups_with_their_permissions():
    perms = {g.name: set(g.permissions.values_list("content_type__app_label", "codename")) for g in Group.objects.all()}
    assert {SUPPORT_AGENT, MERCHANT_EDITOR, ADMINISTRATOR} <= set(perms)
    agent, editor = perms[SUPPORT_AGENT], perms[MERCHANT_EDITOR]
    assert ("customers", "view_customer_contact") in agent and ("notifications", "change_delivery") in agent
    assert not {p for p in agent if p[1] in ("change_template", "change_rule", "add_template", "add_rule")}
    assert ("catalogue", "change_template") in editor and ("catalogue", "change_rule") in editor
    assert not {p for p in editor if p[0] in ("customers", "preferences") and p[1] != "view_brand"}
    assert ("notifications", "view_notification") not in editor  # no timeline, no addresses in deliveries
    assert perms[ADMINISTRATOR] >= agent | editor
    # after migrate (post_migrate), the Administrator holds every permission, of every app
    from django.contrib.auth.models import Permission

    assert len(perms[ADMINISTRATOR]) == Permission.objects.count()


def test_agent_cannot_edit_templates_or_rules(agent_client, shipped):
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")
    rule = Rule.objects.first()
    # the admin change forms are read-only for them, and a POST is refused
    assert agent_client.post(reverse("admin:catalogue_template_change", args=[template.pk]), {}).status_code == 403
    assert agent_client.post(reverse("admin:catalogue_rule_change", args=[rule.pk]), {}).status_code == 403
    assert agent_client.get(reverse("admin:catalogue_template_add")).status_code == 403
    # the studio shows the template read-only and refuses a save, a test send and a revert
    edit = reverse("console:studio-edit", args=[template.pk, "es"])
    page = agent_client.get(edit)
    assert page.status_code == 200 and "changing it needs the Merchant editor role" in page.content.decode()
    assert agent_client.post(edit, {"body_text": "x"}).status_code == 403
    assert agent_client.post(reverse("console:studio-test-send", args=[template.pk, "es"]), {}).status_code == 403
    template.refresh_from_db()
    assert template.body_text_es != "x"


def test_agent_reads_customers_their_contact_details_and_the_timeline(agent_client, shipped):
    customer, order, shipment = shipped
    assert agent_client.get(reverse("admin:customers_customer_changelist")).status_code == 200
    page = agent_client.get(reverse("admin:notifications_customer_timeline", args=[customer.pk])).content.decode()
    assert "emma@example.com" in page and "+12125550147" in page
    for name in (
        "admin:orders_order_changelist",
        "admin:orders_shipment_changelist",
        "admin:returns_returnrequest_changelist",
        "admin:notifications_delivery_changelist",
        "console:dashboard",
    ):
        assert agent_client.get(reverse(name)).status_code == 200, name


def test_merchant_editor_cannot_open_customers_or_their_contact_details(editor_client, shipped):
    customer, order, shipment = shipped
    for url in (
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[customer.pk]),
        reverse("admin:notifications_customer_timeline", args=[customer.pk]),
        reverse("admin:notifications_delivery_changelist"),
        reverse("admin:channels_sandboxmessage_changelist"),
        reverse("admin:preferences_consentlog_changelist")
        if _has_url("admin:preferences_consentlog_changelist")
        else None,
        reverse("console:search") + "?q=emma",
        reverse("console:oneoff", args=[customer.pk]),
    ):
        if url:
            assert editor_client.get(url).status_code == 403, url


def test_merchant_editor_edits_templates_and_sees_the_dashboard_with_anonymised_previews(editor_client, shipped):
    customer, *_ = shipped
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="email")
    assert editor_client.get(reverse("admin:catalogue_template_change", args=[template.pk])).status_code == 200
    assert editor_client.get(reverse("console:dashboard")).status_code == 200
    page = editor_client.get(reverse("console:studio-edit", args=[template.pk, "en"])).content.decode()
    # the preview comes from the customer's real event, but with the sample customer in it
    assert "event #" in page
    assert "emma@example.com" not in page and "Emma Stone" not in page


def test_administrator_can_do_everything(admin_role_client, shipped):
    customer, *_ = shipped
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")
    for url in (
        reverse("admin:customers_customer_change", args=[customer.pk]),
        reverse("admin:notifications_customer_timeline", args=[customer.pk]),
        reverse("admin:catalogue_template_change", args=[template.pk]),
        reverse("console:dashboard"),
        reverse("console:studio"),
        reverse("console:studio-edit", args=[template.pk, "es"]),
    ):
        assert admin_role_client.get(url).status_code == 200, url
    page = admin_role_client.get(reverse("admin:index")).content.decode()
    assert reverse("console:dashboard") in page and reverse("console:studio") in page


def test_a_role_without_the_contact_permission_sees_the_timeline_masked(make_user, shipped):
    from django.contrib.auth.models import Permission
    from django.test import Client

    customer, *_ = shipped
    user = make_user("viewer", SUPPORT_AGENT)
    user.groups.clear()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_notification", "view_customer"]))
    client = Client()
    client.force_login(user)
    page = client.get(reverse("admin:notifications_customer_timeline", args=[customer.pk])).content.decode()
    assert "emma@example.com" not in page and "+12125550147" not in page
    assert "hidden" in page
    customers = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "emma@example.com" not in customers


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
