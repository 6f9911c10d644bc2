"""The shipped catalogue: notification types for every milestone of the three journeys, the
transactional types sent outside them (a fresh preference link, the answer to a text, a template
test send), and the default rules mapping events to them. ``ensure_catalogue()`` installs what is
missing (idempotent)."""

from catalogue.models import NotificationType, Rule, Template

SHIPPING, BACKORDER, RETURNS = "shipping", "backorder", "returns"
ACCOUNT, STAFF = "account", "staff"

# key, name, category, critical, coalesce_group, position, subject kinds in its context
TYPES = [
    ("order_confirmed", "Order confirmed", SHIPPING, False, "", 1),
    ("shipment_shipped", "Shipped", SHIPPING, False, "shipment_progress", 2),
    ("shipment_in_transit", "In transit", SHIPPING, False, "shipment_progress", 3),
    ("shipment_out_for_delivery", "Out for delivery", SHIPPING, False, "shipment_progress", 4),
    ("shipment_delivered", "Delivered", SHIPPING, False, "shipment_progress", 5),
    ("shipment_exception", "Delivery exception or delay", SHIPPING, True, "", 6),
    ("order_backordered", "Item backordered", BACKORDER, True, "", 1),
    ("back_in_stock", "Back in stock", BACKORDER, False, "", 2),
    ("return_approved", "Return approved", RETURNS, False, "", 1),
    ("return_rejected", "Return rejected", RETURNS, False, "", 2),
    ("return_label_issued", "Return label issued", RETURNS, False, "", 3),
    ("return_received", "Return received", RETURNS, False, "", 4),
    ("return_inspected", "Return inspected", RETURNS, False, "", 5),
    ("refund_processed", "Refund processed", RETURNS, True, "", 6),
    ("return_resolved", "Return resolved", RETURNS, False, "", 7),
    # Transactional: critical, so per-type opt-outs, quiet hours, caps and digests never hold
    # them (channel consent still does). preference_link is planned from the customer's request;
    # the other two are direct notifications, written before they are queued.
    ("preference_link", "Preference link", ACCOUNT, True, "", 1),
    ("sms_reply", "Answer to a text", ACCOUNT, True, "", 2),
    ("studio_test", "Template test send", STAFF, True, "", 1),
]

# Which snapshot parts a type's templates may use (besides brand, customer and links).
CONTEXT_PARTS = {
    SHIPPING: ("order", "shipment"),
    BACKORDER: ("order", "line", "product"),
    RETURNS: ("order", "return"),
    ACCOUNT: (),
    STAFF: (),
}
CONTEXT_PARTS_BY_TYPE = {"order_confirmed": ("order",), "back_in_stock": ("product",), "sms_reply": ("reply",)}

BOTH = ["email", "sms"]
# event type, notification type, channels, mode, coalesce seconds, priority
RULES = [
    ("order.placed", "order_confirmed", ["email"], "fallback", 0, 5),
    ("shipment.shipped", "shipment_shipped", BOTH, "all", 60, 4),
    ("shipment.in_transit", "shipment_in_transit", ["email"], "fallback", 300, 6),
    ("shipment.out_for_delivery", "shipment_out_for_delivery", BOTH, "all", 300, 3),
    ("shipment.delivered", "shipment_delivered", BOTH, "all", 0, 3),
    ("shipment.delivery_exception", "shipment_exception", ["sms", "email"], "all", 0, 1),
    ("shipment.delayed", "shipment_exception", ["sms", "email"], "all", 0, 1),
    ("order_line.backordered", "order_backordered", BOTH, "all", 0, 2),
    ("stock.back_in_stock", "back_in_stock", ["sms", "email"], "fallback", 0, 4),
    ("return.approved", "return_approved", ["email", "sms"], "fallback", 0, 5),
    ("return.rejected", "return_rejected", ["email", "sms"], "fallback", 0, 5),
    ("return.label_issued", "return_label_issued", ["email"], "fallback", 0, 5),
    ("return.received", "return_received", ["email", "sms"], "fallback", 0, 6),
    ("return.inspected", "return_inspected", ["email"], "fallback", 0, 6),
    ("return.refunded", "refund_processed", ["email", "sms"], "all", 0, 2),
    ("return.resolved", "return_resolved", ["email"], "fallback", 0, 7),
    ("customer.preference_link_requested", "preference_link", ["email", "sms"], "fallback", 0, 1),
]

CHANNELS = ("email", "sms", "whatsapp", "push")


def context_parts(type_key: str, category: str) -> tuple[str, ...]:
    return CONTEXT_PARTS_BY_TYPE.get(type_key, CONTEXT_PARTS[category])


def ensure_catalogue(*, NotificationType=NotificationType, Rule=Rule, Template=Template) -> dict:
    """Create missing types, rules and templates (the copy files, ``catalogue.copy``); never
    overwrite a merchant's edits. A data migration passes its historical models."""
    from catalogue.copy import LANGUAGES, load_copy

    created = {"types": 0, "rules": 0, "templates": 0}
    types = {}
    for key, name, category, critical, group, position in TYPES:
        obj, made = NotificationType.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "name_en": name,
                "category": category,
                "critical": critical,
                "coalesce_group": group,
                "position": position,
            },
        )
        types[key] = obj
        created["types"] += made
    for event_type, type_key, channels, mode, coalesce, priority in RULES:
        _, made = Rule.objects.get_or_create(
            event_type=event_type,
            notification_type=types[type_key],
            defaults={
                "name": f"{event_type} -> {type_key}",
                "channels": channels,
                "mode": mode,
                "coalesce_seconds": coalesce,
                "priority": priority,
            },
        )
        created["rules"] += made
    for type_key, by_channel in load_copy().items():
        if type_key not in types:
            continue  # a type installed elsewhere (the daily digest: notifications.services.digests)
        for channel, by_language in by_channel.items():
            if Template.objects.filter(notification_type=types[type_key], channel=channel).exists():
                continue
            fields = {
                f"{field}_{language}": value
                for language in LANGUAGES
                for field, value in by_language.get(language, {}).items()
            }
            # The untranslated columns hold the default language's copy.
            fields.update({field: value for field, value in by_language.get("en", {}).items()})
            Template.objects.create(notification_type=types[type_key], channel=channel, **fields)
            created["templates"] += 1
    return created
