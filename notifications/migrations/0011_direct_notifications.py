"""Direct notifications: ``Notification.content`` (a message written before it is queued), the
customer and brand optional (an answer to a number we do not know), and the automatic answer to
an inbound text kept as such a notification (``InboundMessage.reply``) instead of the ``reply_*``
columns (dropped by the next migration). Answers already recorded in those columns become
notifications with their delivery and attempt (as the pipeline records them now), so the history
stays in the customers' timelines."""

import django.db.models.deletion
from django.db import migrations, models

# old reply_status -> (notification status, delivery status, attempt outcome or None)
OLD_REPLIES = {
    "sent": ("sent", "sent", "accepted"),
    "failed": ("dead", "dead", "permanent"),
    "sending": ("dead", "dead", "unknown"),  # the call started and nobody recorded its end
    "pending": ("dead", "dead", None),  # never sent: left for an agent, not sent days late
}


def replies_to_notifications(apps, schema_editor):
    InboundMessage = apps.get_model("notifications", "InboundMessage")
    old = InboundMessage.objects.exclude(reply_status="none").select_related("customer").order_by("pk")
    if not old.exists():
        return
    NotificationType = apps.get_model("catalogue", "NotificationType")
    Event = apps.get_model("notifications", "Event")
    Notification = apps.get_model("notifications", "Notification")
    Delivery = apps.get_model("notifications", "Delivery")
    DeliveryAttempt = apps.get_model("notifications", "DeliveryAttempt")
    ntype, _ = NotificationType.objects.get_or_create(
        key="sms_reply",
        defaults={
            "name": "Answer to a text",
            "name_en": "Answer to a text",
            "category": "account",
            "critical": True,
            "position": 2,
        },
    )
    for inbound in old:
        n_status, d_status, outcome = OLD_REPLIES[inbound.reply_status]
        customer = inbound.customer
        brand_id = customer.brand_id if customer else None
        ended = inbound.replied_at or inbound.received_at
        error = (
            ""
            if n_status == "sent"
            else (f"{inbound.reply_error or 'not sent'} (answered before answers went through the pipeline)")[:2000]
        )
        event = Event.objects.create(
            type=f"inbound.{inbound.kind}",
            subject_type="inbound",
            subject_id=inbound.pk,
            brand_id=brand_id,
            customer=customer,
            payload={"event": f"inbound.{inbound.kind}", "reply": {"kind": inbound.kind, "link": ""}},
            created_at=inbound.received_at,
            processed_at=inbound.received_at,
        )
        content = {"body_text": inbound.reply_text, "provider": inbound.provider, "in_reply_to": inbound.pk}
        if inbound.to_number:
            content["sender"] = inbound.to_number
        notification = Notification.objects.create(
            dedupe_key=f"reply:{inbound.pk}",
            customer=customer,
            brand_id=brand_id,
            notification_type=ntype,
            event=event,
            subject_key=f"inbound:{inbound.pk}",
            language=(customer.language if customer else "") or "en",
            channels=[inbound.channel],
            status=n_status,
            reason=error[:200],
            priority=1,
            send_after=inbound.received_at,
            content=content,
            created_at=inbound.received_at,
        )
        delivery = Delivery.objects.create(
            notification=notification,
            channel=inbound.channel,
            status=d_status,
            to=inbound.from_number,
            provider=inbound.provider if outcome else "",
            provider_message_id=inbound.reply_provider_message_id,
            attempt_count=1 if outcome else 0,
            send_after=inbound.received_at,
            error=error,
            created_at=inbound.received_at,
            sent_at=ended if d_status == "sent" else None,
        )
        if outcome:
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=1,
                provider=inbound.provider,
                idempotency_key=f"wp-in-{inbound.pk}",
                outcome=outcome,
                provider_message_id=inbound.reply_provider_message_id,
                error_text=inbound.reply_error,
                started_at=inbound.received_at,
                finished_at=inbound.replied_at if outcome != "unknown" else None,
            )
        inbound.reply_id = notification.pk
        inbound.save(update_fields=["reply"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_account_and_staff_categories"),
        ("customers", "0001_initial"),
        ("notifications", "0010_remove_template_notification_type_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="content",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="A direct notification's message, already written (subject, preheader, body_text, body_html, link), composed instead of a template; with provider and sender when it must go out through that provider and from that sender (an answer to a text), and in_reply_to (the inbound message)",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="brand",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.brand",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                help_text="None: an answer to a number we do not know",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to="customers.customer",
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="reply",
            field=models.OneToOneField(
                blank=True,
                help_text="The automatic answer",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="answered_inbound",
                to="notifications.notification",
            ),
        ),
        migrations.RunPython(replies_to_notifications, migrations.RunPython.noop),
    ]
