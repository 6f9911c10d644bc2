"""The template studio: live preview (SMS characters, encoding, segments, cost; email in the
brand layout), inline errors, saves kept as versions with diffs and revert (audited), a test
send to the editor's own address, and rules flagged when they would match nothing or everything."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from catalogue.models import Rule, Template
from channels.models import SandboxMessage
from console.selectors import customer_timeline
from console.studio import rule_warnings
from core.models import AuditLog
from notifications.models import Notification
from tests.factories import BrandFactory
from tests.notifications.pipeline import instant_pipeline, run_pipeline

pytestmark = pytest.mark.django_db

SHORT_ES = "{{ brand.name }}: tu pedido {{ order.number }} va en camino. {{ links.tracking }}"
LONG_ES = SHORT_ES + " ¡Gracias por tu compra! Recibirás otra notificación cuando esté en reparto. ¿Dudas? Escríbenos."


@pytest.fixture
def sms_template():
    instant_pipeline()
    return Template.objects.get(notification_type__key="shipment_shipped", channel="sms")


def preview(client, template, **fields):
    response = client.post(reverse("console:studio-preview", args=[template.pk, "es"]), fields)
    assert response.status_code == 200
    return response.json()


def test_sms_preview_counts_characters_encoding_segments_and_cost(editor_client, sms_template):
    short = preview(editor_client, sms_template, body_text=SHORT_ES)
    long = preview(editor_client, sms_template, body_text=LONG_ES)
    assert short["sms"]["encoding"] == "GSM-7" and short["sms"]["segments"] == 1
    assert long["sms"]["encoding"] == "UCS-2" and "á" in long["sms"]["ucs2_forced_by"]
    assert long["sms"]["segments"] > short["sms"]["segments"]
    assert float(long["sms"]["estimated_cost"]) > float(short["sms"]["estimated_cost"])
    assert short["errors"] == {}


def test_errors_show_inline_and_block_the_save(editor_client, sms_template):
    result = preview(editor_client, sms_template, body_text="Hola {{ customer.shoe_size }}")
    assert any("Unknown variable '{{ customer.shoe_size }}'" in e for e in result["errors"]["body_text"])
    no_brand = preview(editor_client, sms_template, body_text="Hola, tu pedido va en camino.")
    assert any("must name the brand" in e for e in no_brand["errors"]["body_text"])
    before = sms_template.body_text_es
    page = editor_client.post(
        reverse("console:studio-edit", args=[sms_template.pk, "es"]), {"body_text": "Hola {{ customer.shoe_size }}"}
    )
    assert page.status_code == 200 and "shoe_size" in page.content.decode()
    sms_template.refresh_from_db()
    assert sms_template.body_text_es == before and not sms_template.versions.exists()


def test_save_keeps_versions_diffs_and_reverts_audited(editor_client, sms_template):
    original = sms_template.body_text_es
    edit = reverse("console:studio-edit", args=[sms_template.pk, "es"])
    assert editor_client.post(edit, {"body_text": SHORT_ES, "reason": "shorter"}).status_code == 302
    sms_template.refresh_from_db()
    assert sms_template.body_text_es == SHORT_ES
    v1, v2 = sms_template.versions.order_by("number")
    assert (v1.number, v1.fields["body_text_es"], v2.number, v2.created_by, v2.reason) == (
        1,
        original,
        2,
        "user:marco",
        "shorter",
    )
    diff = editor_client.get(reverse("console:studio-diff", args=[v2.pk])).content.decode()
    assert "body_text_es v1" in diff and "body_text_es v2" in diff
    # revert to v1: a new version 3 with v1's text
    assert editor_client.post(reverse("console:studio-revert", args=[v1.pk]), {"language": "es"}).status_code == 302
    sms_template.refresh_from_db()
    v3 = sms_template.versions.get(number=3)
    assert sms_template.body_text_es == original and v3.reverted_from == 1
    rows = AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Template), object_id=str(sms_template.pk)
    )
    assert sorted(rows.values_list("action", "actor")) == [
        ("template_reverted", "user:marco"),
        ("template_saved", "user:marco"),
    ]


def test_email_preview_renders_the_brand_layout_at_two_widths(editor_client):
    instant_pipeline()
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="email")
    page = editor_client.get(reverse("console:studio-edit", args=[template.pk, "en"])).content.decode()
    assert 'id="frame-desktop"' in page and 'id="frame-phone"' in page and "srcdoc=" in page


def test_test_send_goes_to_the_editors_own_address_through_the_pipeline(editor_client, editor):
    # given an email template and a brand to send it in the name of
    instant_pipeline()
    BrandFactory()
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="email")

    # when the editor asks for a test, naming someone else's address, and the pipeline sends it
    editor_client.post(reverse("console:studio-test-send", args=[template.pk, "en"]), {"to": "someone@else.example"})
    run_pipeline()

    # then it went to the editor's own address only, marked as a test
    message = SandboxMessage.objects.get()
    assert message.to == editor.email and message.subject.startswith("[TEST]")


def test_admin_template_save_keeps_a_version():
    instant_pipeline()
    from catalogue.services import template_version_record

    template = Template.objects.first()
    version = template_version_record(template=template, actor="user:x")
    assert version.number == 1 and version.fields["body_text_en"] == template.body_text_en


def test_rule_matching_nothing_or_everything_is_flagged():
    instant_pipeline()
    rule = Rule.objects.filter(event_type="shipment.shipped").first()
    rule.conditions = {}
    assert "matches every 'shipment.shipped' event" in rule_warnings(rule)[0]
    rule.event_type = "shipment.teleported"
    assert "matches nothing" in rule_warnings(rule)[0]


def test_rule_whose_conditions_no_recent_event_meets_is_flagged():
    from tests.notifications.pipeline import carrier_scan, customer_with_shipment, run_pipeline

    instant_pipeline()
    customer, order, shipment = customer_with_shipment()
    carrier_scan(shipment, "shipped")
    run_pipeline()
    rule = Rule.objects.filter(event_type="shipment.shipped").first()
    rule.conditions = {"min_order_value": "100000"}
    assert "would have matched nothing" in rule_warnings(rule)[0]
    rule.conditions = {"min_order_value": "1"}
    assert rule_warnings(rule) == []


def test_rule_admin_save_shows_the_warning(admin_role_client):
    instant_pipeline()
    rule = Rule.objects.filter(event_type="shipment.shipped").first()
    data = {
        "name": rule.name,
        "event_type": rule.event_type,
        "notification_type": rule.notification_type_id,
        "is_active": "on",
        "channels": '["email"]',
        "mode": rule.mode,
        "priority": rule.priority,
        "coalesce_seconds": rule.coalesce_seconds,
        "conditions": "{}",
    }
    response = admin_role_client.post(reverse("admin:catalogue_rule_change", args=[rule.pk]), data, follow=True)
    assert "matches every" in response.content.decode()


def test_test_send_of_a_draft_goes_through_the_pipeline_to_the_editors_staff_record(editor_client, editor):
    # given a real shipped notification (the preview renders its event) and the SMS template of its type
    from tests.notifications.pipeline import carrier_scan, customer_with_shipment

    instant_pipeline()
    customer, order, shipment = customer_with_shipment()
    carrier_scan(shipment, "shipped")
    run_pipeline()
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")
    saved = template.body_text_es

    # when the editor sends themselves a test of an unsaved Spanish draft, and the pipeline runs
    draft = "{{ brand.name }}: PRUEBA, tu pedido {{ order.number }} va en camino."
    response = editor_client.post(
        reverse("console:studio-test-send", args=[template.pk, "es"]),
        {"body_text": draft, "to": "+14155550123"},
        follow=True,
    )
    run_pipeline()

    # then a studio_test notification, its delivery and an accepted attempt went to the given number,
    # made out to the editor's staff record of the event's brand, whose timeline shows them
    notification = Notification.objects.get(notification_type__key="studio_test")
    staff = notification.customer
    assert (staff.name, staff.tags, staff.brand, staff.phone) == (
        "marco (staff)",
        ["staff"],
        customer.brand,
        "+14155550123",
    )
    delivery = notification.deliveries.get()
    attempt = delivery.attempts.get()
    assert (delivery.to, delivery.status, attempt.outcome) == ("+14155550123", "delivered", "accepted")
    shown = {(e["kind"], e["pk"]) for e in customer_timeline(customer_id=staff.pk)}
    assert {("notification", notification.pk), ("delivery", delivery.pk), ("attempt", attempt.pk)} <= shown
    assert "on its way to +14155550123" in response.content.decode()

    # and the sandbox shows the posted draft rendered with the event's order, while the template is unchanged
    message = SandboxMessage.objects.get(delivery_id=delivery.pk)
    assert message.body_text.startswith(f"{customer.brand.name}: PRUEBA, tu pedido {order.external_id} va en camino.")
    template.refresh_from_db()
    assert template.body_text_es == saved
    test_sent = AuditLog.objects.get(action="test_sent")
    assert (test_sent.actor, test_sent.reason) == ("user:marco", "test send to +14155550123")


def test_test_send_of_a_draft_with_errors_sends_nothing(editor_client):
    # given a brand and an SMS template
    instant_pipeline()
    BrandFactory()
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")

    # when the editor asks for a test of a draft using a variable the type does not carry
    response = editor_client.post(
        reverse("console:studio-test-send", args=[template.pk, "en"]),
        {"body_text": "Hi {{ customer.shoe_size }}", "to": "+14155550123"},
        follow=True,
    )

    # then nothing is planned or sent, and the editor is told why
    assert "the template has errors" in response.content.decode()
    assert not Notification.objects.filter(notification_type__key="studio_test").exists()
