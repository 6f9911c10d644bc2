"""The notifications admin: every page renders with rows the real pipeline made; templates are
saved through ``template_save`` (checked as the studio checks them, versioned, audited) and rules
validated on save (an unknown variable is named); dead letters are listed, requeued through
``delivery_requeue`` and resent through ``delivery_resend`` with audit rows and exactly one
dispatch on commit; suppressions are lifted through ``suppression_lift``; the pipeline settings
stay one row, in range."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from catalogue.models import NotificationType, Rule, Template
from catalogue.rendering import TEMPLATE_LANGUAGES
from channels.models import SandboxMessage
from core.models import AuditLog
from notifications.models import (
    CallbackRequest,
    Delivery,
    DeliveryAttempt,
    Digest,
    Event,
    InboundMessage,
    Notification,
    ProviderEvent,
    RescheduleRequest,
    Suppression,
)
from notifications.services.receipts import Receipt, receipt_apply, suppression_add
from tests.notifications.pipeline import (
    carrier_scan,
    customer_with_shipment,
    instant_pipeline,
    run_pipeline,
    send_due,
)

pytestmark = pytest.mark.django_db

NOTIFICATION_MODELS = sorted(apps.get_app_config("notifications").get_models(), key=lambda m: m.__name__)
TEMPLATE_FIELDS = ("subject", "preheader", "body_text", "body_html", "link")


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def post_action(client, model, action, objs, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs], **extra}
    return client.post(url(model, "changelist"), data)


@pytest.fixture
def pipeline_rows():
    """Rows of every notifications model: a delivered shipment run through the real pipeline
    (events, notifications, deliveries, attempts, sandbox messages), a receipt, a suppression,
    the customer's replies and a digest (rows the inbound SMS handling and digests write)."""
    instant_pipeline()
    customer, _order, shipment = customer_with_shipment()
    for kind, text in (("reschedule", "RESCHEDULE"), ("call_me", "CALL ME")):
        inbound = InboundMessage.objects.create(
            provider="sandbox",
            provider_message_id=f"in-{kind}",
            from_number=customer.phone,
            text=text,
            kind=kind,
            customer=customer,
        )
        if kind == "reschedule":
            RescheduleRequest.objects.create(customer=customer, shipment=shipment, inbound=inbound)
        else:
            CallbackRequest.objects.create(customer=customer, phone=customer.phone, inbound=inbound)
    carrier_scan(shipment, "delivered")
    run_pipeline()
    delivery = Delivery.objects.filter(notification__customer=customer, channel="email").first()
    receipt_apply(Receipt(provider="sandbox", event_id="evt-1", kind="opened", delivery_id=delivery.pk))
    suppression_add(
        channel="sms",
        address="+14155550000",
        reason=Suppression.Reason.HARD_BOUNCE,
        detail="invalid number",
        source="test",
    )
    today = timezone.localdate()
    Digest.objects.create(customer=customer, channel="email", day=today, key=f"{customer.pk}:email:{today}")
    from catalogue.models import Template
    from catalogue.services import template_version_record

    template_version_record(template=Template.objects.first(), actor="user:test", reason="console history")
    return customer


@pytest.fixture
def dead_delivery():
    """An order confirmation email that failed on every try (sandbox failing every send)."""
    instant_pipeline(fail_rate=1.0)
    customer, _order, _shipment = customer_with_shipment()
    run_pipeline()
    instant_pipeline(fail_rate=0.0)
    return Delivery.objects.get(notification__customer=customer, status=Delivery.Status.DEAD)


def test_every_notifications_model_has_an_admin():
    assert [m for m in NOTIFICATION_MODELS if m not in admin.site._registry] == []


@pytest.mark.parametrize("model", NOTIFICATION_MODELS, ids=lambda m: m.__name__)
def test_changelist_change_and_add_pages_render(model, admin_client, pipeline_rows):
    # given rows the pipeline wrote and a superuser
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the fixture made no {model.__name__}"

    # when they open the changelist (plain and searched) and a row's page
    # then each renders
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "a"}).status_code == 200
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    # and the add page renders where adding is allowed (the catalogue, not what the pipeline writes)
    request = admin_client.get(url(model, "changelist")).wsgi_request
    if admin.site._registry[model].has_add_permission(request):
        assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", [Notification, Delivery, DeliveryAttempt, Event])
def test_changelist_queries_do_not_grow_with_rows(model, admin_client, django_assert_max_num_queries):
    # given one customer's shipment history
    instant_pipeline()
    _c, _o, shipment = customer_with_shipment()
    carrier_scan(shipment, "delivered")
    run_pipeline()
    with django_assert_max_num_queries(40) as few:
        admin_client.get(url(model, "changelist"))

    # when there are several customers more
    for _ in range(4):
        _c, _o, shipment = customer_with_shipment()
        carrier_scan(shipment, "delivered")
    run_pipeline()

    # then the changelist takes no more queries (related rows are joined, not fetched per row)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url(model, "changelist"))


def test_pipeline_rows_are_read_only(admin_client, pipeline_rows):
    # given a notification and a delivery
    notification = Notification.objects.filter(customer=pipeline_rows).first()
    # when their pages are opened, then nothing can be saved and the status has no input
    for obj in (notification, notification.deliveries.first()):
        page = admin_client.get(url(type(obj), "change", obj.pk)).content.decode()
        assert 'name="status"' not in page
        assert 'name="_save"' not in page


# --- Templates ----------------------------------------------------------------------------------


def template_form_data(template: Template, **changes) -> dict:
    data = {"notification_type": template.notification_type_id, "channel": template.channel}
    for field in TEMPLATE_FIELDS:
        for language in TEMPLATE_LANGUAGES:
            data[f"{field}_{language}"] = getattr(template, f"{field}_{language}") or ""
    data.update(changes)
    return data


@pytest.fixture
def sms_template(db):
    instant_pipeline()
    return Template.objects.get(notification_type__key="shipment_delivered", channel="sms")


def test_template_with_an_unknown_variable_is_rejected_naming_it(admin_client, sms_template):
    # given the Spanish SMS of "delivered" edited to use a variable its messages do not carry
    data = template_form_data(sms_template, body_text_es="Hola {{ customer.shoe_size }}, ya llegó.")

    # when the merchant saves it
    response = admin_client.post(url(Template, "change", sms_template.pk), data)

    # then the form comes back with the error on that field, naming the variable, and nothing is saved
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["body_text_es"]
    assert "Unknown variable '{{ customer.shoe_size }}'" in errors["body_text_es"][0]
    assert "customer.shoe_size" in response.content.decode()
    sms_template.refresh_from_db()
    assert "shoe_size" not in sms_template.body_text_es


def test_template_may_only_use_its_types_snapshot(admin_client):
    # given the order confirmation email (its messages carry the order, not a shipment)
    instant_pipeline()
    template = Template.objects.get(notification_type__key="order_confirmed", channel="email")
    data = template_form_data(
        template,
        subject_fr="Suivi {{ shipment.tracking_number }}",
        body_html_de="{% if order %}{{ order.total_display }}",
    )

    # when it is saved with a shipment variable in French and a broken tag in German
    response = admin_client.post(url(Template, "change", template.pk), data)

    # then both fields are rejected with their own message
    errors = response.context["adminform"].form.errors
    assert (
        "Unknown variable '{{ shipment.tracking_number }}': 'order_confirmed' messages do not carry it."
        in errors["subject_fr"]
    )
    assert errors["body_html_de"][0].startswith("Template syntax error")


def test_valid_template_is_saved(admin_client, sms_template):
    # given the Spanish SMS edited with variables its messages carry (and the brand, as SMS must)
    body = "Hola {{ customer.first_name }}, {{ brand.name }}: {{ shipment.carrier_name }} entregó tu pedido."
    data = template_form_data(sms_template, body_text_es=body)

    # when the merchant saves it
    response = admin_client.post(url(Template, "change", sms_template.pk), data)

    # then it is saved
    assert response.status_code == 302, response.context["adminform"].form.errors
    sms_template.refresh_from_db()
    assert sms_template.body_text_es.startswith("Hola {{ customer.first_name }}")


def template_audit(template: Template):
    return AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(Template), object_id=str(template.pk))


def test_admin_refuses_an_sms_the_channels_rules_forbid(admin_client, sms_template):
    # given the Spanish SMS edited with prize wording and without the brand (the SMS rules forbid both)
    before = sms_template.body_text_es
    data = template_form_data(sms_template, body_text_es="Winner! {{ customer.first_name }}, your parcel is here.")

    # when the merchant saves it in the admin
    response = admin_client.post(url(Template, "change", sms_template.pk), data)

    # then the form comes back with both rules named on the field, and nothing is saved, versioned or audited
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["body_text_es"]
    assert any("Prohibited content: 'Winner'" in e for e in errors)
    assert any("must name the brand" in e for e in errors)
    sms_template.refresh_from_db()
    assert sms_template.body_text_es == before
    assert not sms_template.versions.exists() and not template_audit(sms_template).exists()


def test_admin_save_is_versioned_and_audited_by_template_save(admin_client, sms_template):
    # given a shipped template nobody edited yet
    before = sms_template.body_text_es
    body = "{{ brand.name }}: {{ customer.first_name }}, tu pedido {{ order.number }} ya llegó."

    # when the merchant changes its Spanish SMS in the admin
    response = admin_client.post(
        url(Template, "change", sms_template.pk), template_form_data(sms_template, body_text_es=body)
    )

    # then the state before is version 1, the new one version 2 by the merchant, audited with what changed
    assert response.status_code == 302
    v1, v2 = sms_template.versions.order_by("number")
    assert (v1.created_by, v1.fields["body_text_es"]) == ("system", before)
    assert (v2.created_by, v2.reason, v2.fields["body_text_es"]) == ("user:admin", "saved in the admin", body)
    [row] = template_audit(sms_template)
    assert (row.action, row.to_state, row.actor, row.data) == (
        "template_saved",
        "v2",
        "user:admin",
        {"changed": ["body_text_es"]},
    )


def test_admin_keeps_a_templates_type_and_channel(admin_client, sms_template):
    # given the form posted with another channel
    data = template_form_data(
        sms_template, channel="whatsapp", body_text_es="{{ brand.name }}: tu pedido {{ order.number }} ya llegó."
    )

    # when it is saved
    admin_client.post(url(Template, "change", sms_template.pk), data)

    # then the template is still the SMS one (its versions are of it)
    sms_template.refresh_from_db()
    assert sms_template.channel == "sms" and sms_template.body_text_es.endswith("ya llegó.")


def test_admin_adds_a_template_through_template_create(admin_client, sms_template):
    # given a notification type without a WhatsApp template
    ntype = sms_template.notification_type
    Template.objects.filter(notification_type=ntype, channel="whatsapp").delete()
    data = {
        "notification_type": ntype.pk,
        "channel": "whatsapp",
        **{f"{f}_{lang}": "" for f in TEMPLATE_FIELDS for lang in TEMPLATE_LANGUAGES},
        "body_text_en": "{{ brand.name }}: order {{ order.number }} was delivered.",
    }

    # when the merchant adds one in the admin
    response = admin_client.post(url(Template, "add"), data)

    # then it exists as version 1, audited as created by the merchant
    assert response.status_code == 302, response.context["adminform"].form.errors
    template = Template.objects.get(notification_type=ntype, channel="whatsapp")
    assert list(template.versions.values_list("number", "created_by")) == [(1, "user:admin")]
    assert list(template_audit(template).values_list("action", "actor")) == [("created", "user:admin")]


def test_template_page_lists_the_variables_its_messages_carry(admin_client, sms_template):
    page = admin_client.get(url(Template, "change", sms_template.pk)).content.decode()
    assert "{{ shipment.tracking_number }}" in page
    assert "{{ customer.first_name }}" in page


# --- Rules --------------------------------------------------------------------------------------


def rule_data(**changes) -> dict:
    data = {
        "name": "Delivered by WhatsApp",
        "event_type": "shipment.delivered",
        "notification_type": NotificationType.objects.get(key="shipment_delivered").pk,
        "channels": '["whatsapp", "email"]',
        "mode": "fallback",
        "conditions": '{"countries": ["MX"]}',
        "coalesce_seconds": 0,
        "priority": 3,
        "is_active": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"channels": '["pigeon"]'}, "channels", "Unknown channel 'pigeon'"),
        ({"channels": "[]"}, "channels", "This field is required."),
        ({"channels": '"sms"'}, "channels", "non-empty list"),
        ({"channels": '["sms", "sms"]'}, "channels", "Each channel may appear once."),
        ({"conditions": '{"country": ["MX"]}'}, "conditions", "Unknown condition 'country'"),
        ({"conditions": '{"min_order_value": "lots"}'}, "conditions", "'min_order_value' must be an amount"),
        ({"conditions": '{"countries": "MX"}'}, "conditions", "'countries' must be a list of strings."),
        ({"event_type": "shipment.teleported"}, "event_type", "'shipment' events are:"),
        ({"event_type": "parcel.delivered"}, "event_type", "Start with one of"),
    ],
)
def test_rule_with_a_bad_plan_or_conditions_is_rejected(admin_client, changes, field, message):
    # given a rule with one mistake
    instant_pipeline()
    before = Rule.objects.count()

    # when it is added
    response = admin_client.post(url(Rule, "add"), rule_data(**changes))

    # then the form says what is wrong on that field and nothing is saved
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field]), errors
    assert Rule.objects.count() == before


def test_valid_rule_is_saved(admin_client):
    instant_pipeline()
    response = admin_client.post(url(Rule, "add"), rule_data())
    assert response.status_code == 302
    rule = Rule.objects.get(name="Delivered by WhatsApp")
    assert rule.channels == ["whatsapp", "email"] and rule.conditions == {"countries": ["MX"]}


# --- Dead letters and requeue -------------------------------------------------------------------


def test_dead_letters_are_linked_and_filtered(admin_client, dead_delivery):
    # given a dead delivery and a delivered one
    _c, _o, shipment = customer_with_shipment()
    carrier_scan(shipment, "delivered")
    run_pipeline()

    # when the agent opens the deliveries, then a link leads to the dead letters
    page = admin_client.get(url(Delivery, "changelist")).content.decode()
    assert 'href="?dead_letters=yes"' in page and "Dead letters (1)" in page

    # and the dead-letter list holds only the dead one
    response = admin_client.get(url(Delivery, "changelist"), {"dead_letters": "yes"})
    assert [d.pk for d in response.context["cl"].result_list] == [dead_delivery.pk]


def test_requeue_moves_a_dead_delivery_to_pending_audited_and_dispatched_once(
    admin_client, dead_delivery, django_capture_on_commit_callbacks
):
    # given a delivery that died after five failed attempts
    assert dead_delivery.attempt_count == settings.DELIVERY_MAX_ATTEMPTS

    # when the agent picks "Requeue", sees the reason form, and applies it
    form_page = post_action(admin_client, Delivery, "requeue", [dead_delivery])
    assert form_page.status_code == 200 and 'name="reason"' in form_page.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_action(
            admin_client, Delivery, "requeue", [dead_delivery], apply="1", reason="provider outage over"
        )

    # then the delivery is pending and due now, its retry budget reset, its error cleared
    assert response.status_code == 302
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == Delivery.Status.PENDING
    assert dead_delivery.send_after <= timezone.now()
    assert dead_delivery.retry_floor == settings.DELIVERY_MAX_ATTEMPTS and dead_delivery.error == ""
    assert dead_delivery.notification.status == Notification.Status.SENDING
    # and an audit row says who requeued it and why
    row = AuditLog.objects.get(
        content_type=ContentType.objects.get_for_model(Delivery), object_id=str(dead_delivery.pk)
    )
    assert (row.action, row.from_state, row.to_state, row.actor, row.reason) == (
        "requeued",
        "dead",
        "pending",
        "user:admin",
        "provider outage over",
    )
    # and exactly one dispatch waits for the commit
    assert len(callbacks) == 1

    # when the worker sends it, then it is delivered this time
    send_due()
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == Delivery.Status.DELIVERED
    assert SandboxMessage.objects.filter(delivery=dead_delivery).count() == 1


def test_requeue_of_a_live_delivery_is_refused(admin_client, dead_delivery, django_capture_on_commit_callbacks):
    # given a delivered delivery
    _c, _o, shipment = customer_with_shipment()
    carrier_scan(shipment, "delivered")
    run_pipeline()
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).first()

    # when the agent requeues it
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_action(admin_client, Delivery, "requeue", [delivered], apply="1", reason="")

    # then it is refused with the allowed moves, nothing changes and nothing is dispatched
    follow = admin_client.get(response.url)
    assert "Cannot move delivery from &#x27;delivered&#x27; to &#x27;pending&#x27;" in follow.content.decode()
    delivered.refresh_from_db()
    assert delivered.status == Delivery.Status.DELIVERED
    assert callbacks == []


def test_resend_action_makes_linked_deliveries_and_queues_them_once_after_the_services(
    admin_client, dead_delivery, django_capture_on_commit_callbacks
):
    # given a dead delivery (its notification dead too)
    assert dead_delivery.notification.status == Notification.Status.DEAD

    # when the agent resends it from the deliveries list, with a reason
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_action(
            admin_client, Delivery, "resend", [dead_delivery], apply="1", reason="customer asked again"
        )

    # then a new delivery links to it, the notification is sending again (audited), and the
    # action queues the new delivery in exactly one dispatch after commit
    assert response.status_code == 302
    new = Delivery.objects.get(resend_of=dead_delivery)
    assert new.status == Delivery.Status.PENDING
    notification = Notification.objects.get(pk=dead_delivery.notification_id)
    assert notification.status == Notification.Status.SENDING
    row = AuditLog.objects.get(
        content_type=ContentType.objects.get_for_model(Notification), object_id=str(notification.pk)
    )
    assert (row.from_state, row.to_state, row.actor, row.reason) == (
        "dead",
        "sending",
        "user:admin",
        "customer asked again",
    )
    assert len(callbacks) == 1


def test_requeue_and_resend_services_leave_the_queueing_to_their_caller(
    dead_delivery, django_capture_on_commit_callbacks
):
    from console.services import delivery_resend
    from notifications.services.dispatch import delivery_requeue

    # given a dead delivery
    # when the services requeue it and then resend it, called directly
    with django_capture_on_commit_callbacks() as callbacks:
        requeued = delivery_requeue(delivery=dead_delivery, actor="user:agent", reason="outage over")
        Delivery.objects.filter(pk=requeued.pk).update(status=Delivery.Status.DEAD)
        new = delivery_resend(delivery=dead_delivery, actor="user:agent", reason="and once more")

    # then they return the deliveries to send and queue nothing themselves
    assert (requeued.status, new.resend_of_id) == (Delivery.Status.PENDING, dead_delivery.pk)
    assert callbacks == []


# --- Suppressions, sandbox outbox, settings -----------------------------------------------------


def test_lifting_a_suppression_needs_a_reason_and_is_audited(admin_client, pipeline_rows):
    suppression = Suppression.objects.get(address="+14155550000")
    # when the agent lifts it without a reason, then the form asks for one
    page = post_action(admin_client, Suppression, "lift", [suppression], apply="1", reason="")
    assert page.status_code == 200 and "This field is required." in page.content.decode()
    # when with a reason, then it is lifted, with who and why
    post_action(admin_client, Suppression, "lift", [suppression], apply="1", reason="customer fixed the number")
    suppression.refresh_from_db()
    assert suppression.lifted_at and suppression.lifted_by == "user:admin"
    assert AuditLog.objects.filter(action="suppression_lifted", object_id=str(suppression.pk)).count() == 1


def test_sandbox_outbox_shows_the_messages_sent(admin_client, pipeline_rows):
    response = admin_client.get(url(SandboxMessage, "changelist"))
    page = response.content.decode()
    assert "Sandbox outbox" in page
    message = SandboxMessage.objects.filter(channel="sms").first()
    assert message.to in page and message.body_text[:40] in page
    assert ProviderEvent.objects.count() == 1
