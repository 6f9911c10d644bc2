"""Composing deliveries' messages: each delivery's template in the notification's language,
rendered from the event snapshot for this customer, with the brand's sender and the links every
message carries; a direct notification's message is already written (``Notification.content``)
and only dressed (the brand layout for email; the sender, footer and encoding for SMS; the sender
it names, for an answer to a text). A batch is read with two queries (its deliveries with what
they hang on, and their templates), however many messages it holds."""

from django.conf import settings

from catalogue.models import Template
from catalogue.rendering import Rendered, build_context, render_template
from catalogue.snapshots import customer_snapshot
from channels.base import OutboundMessage
from notifications.models import Delivery


def message_links(*, notification, delivery: Delivery) -> dict:
    from preferences.links import preference_link_for, short_preference_link_for
    from preferences.unsubscribe import unsubscribe_link_for

    shipment = notification.event.payload.get("shipment") or {}
    if notification.customer is None:  # an answer to a number we do not know: no page to link to
        return {
            "preferences": "",
            "preferences_short": "",
            "unsubscribe": "",
            "tracking": shipment.get("tracking_url", ""),
            "reschedule": shipment.get("reschedule_url", ""),
        }
    return {
        "preferences": preference_link_for(notification.customer),
        # SMS and WhatsApp: a short /p/s/<code>/ path resolving to the signed link
        "preferences_short": short_preference_link_for(notification.customer)
        if delivery.channel in ("sms", "whatsapp")
        else "",
        "unsubscribe": unsubscribe_link_for(
            customer=notification.customer, notification_type=notification.notification_type
        ),
        "tracking": shipment.get("tracking_url", ""),
        "reschedule": shipment.get("reschedule_url", ""),
    }


def render_delivery(delivery: Delivery, *, template: Template | None, links: dict) -> Rendered:
    notification = delivery.notification
    if template is None:
        raise LookupError(f"No {delivery.channel} template for {notification.notification_type.key}")
    context = build_context(
        payload=notification.event.payload,
        customer_snapshot=customer_snapshot(notification.customer),
        language=notification.language,
        links=links,
    )
    return render_template(template, language=notification.language.split("-")[0].lower(), context=context)


def _written(notification) -> Rendered | None:
    """A direct notification's message as written (None: render the template)."""
    content = notification.content or {}
    if not any(content.get(f) for f in ("subject", "body_text", "body_html")):
        return None
    return Rendered(**{f: content.get(f, "") for f in ("subject", "preheader", "body_text", "body_html", "link")})


def _compose(delivery: Delivery, template: Template | None) -> OutboundMessage:
    notification, brand = delivery.notification, delivery.notification.brand
    links = message_links(notification=notification, delivery=delivery)
    rendered = _written(notification) or render_delivery(delivery, template=template, links=links)
    message = OutboundMessage(
        channel=delivery.channel,
        to=delivery.to,
        subject=rendered.subject,
        preheader=rendered.preheader,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        link=rendered.link,
        from_email=brand.sender_email if brand else "",
        from_name=brand.sender_name if brand else "",
        reply_to=brand.support_email if brand else "",
        sender_id=brand.sms_sender_id if brand else "",
        metadata={
            "delivery_id": delivery.pk,
            "notification_id": notification.pk,
            "customer_id": notification.customer_id,
            "type": notification.notification_type.key,
            "site": settings.SITE_URL,
        },
    )
    if delivery.channel == "push":  # the payload carries the way to the preference center
        message.metadata["preferences_url"] = links["preferences"]
    if delivery.channel == "email":  # the brand layout, QR image and List-Unsubscribe headers
        from catalogue.email_layout import email_dress

        email_dress(message, notification=notification, links=links)
    if delivery.channel == "sms":
        from notifications.sms_compose import sms_finish

        sms_finish(message, delivery=delivery)  # sender per country, STOP footer, encoding
    if (notification.content or {}).get("sender"):  # an answer goes out from the number the text came to
        message.sender_id = notification.content["sender"]
    return message


def compose_messages(deliveries: list[Delivery]) -> list[OutboundMessage | Exception]:
    """The message of each delivery, in order; where one cannot be composed, the exception
    instead (LookupError: no template for the channel), so one bad message spoils no other."""
    rows = Delivery.objects.select_related(
        "notification__customer", "notification__brand", "notification__event", "notification__notification_type"
    ).in_bulk([d.pk for d in deliveries])
    templates: dict[tuple[int, str], Template] = {}
    for template in Template.objects.filter(
        notification_type_id__in={r.notification.notification_type_id for r in rows.values()},
        channel__in={r.channel for r in rows.values()},
    ).order_by("pk"):
        templates.setdefault((template.notification_type_id, template.channel), template)
    messages: list[OutboundMessage | Exception] = []
    for d in deliveries:
        row = rows.get(d.pk)
        try:
            if row is None:
                raise LookupError(f"delivery #{d.pk} no longer exists")
            messages.append(_compose(row, templates.get((row.notification.notification_type_id, row.channel))))
        except Exception as exc:  # noqa: BLE001 - reported per message by the dispatcher
            messages.append(exc)
    return messages
