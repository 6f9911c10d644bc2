"""Daily digests: notifications held for a customer's digest (their category is on "daily", or a
frequency cap deferred them) are collected, when their time comes, into one message per channel.

``digest_build`` runs from the ``build_digests`` beat task. Each digest is a ``Digest`` row unique
per customer, channel and local day, sent as its own notification (type ``daily_digest``, its own
templates) through the normal dispatcher. Superseded updates never reach it: a newer update of the
same shipment supersedes the held one at planning time, so only the latest is listed."""

from babel.dates import format_date
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.copy import load_copy
from catalogue.models import NotificationType, Template
from catalogue.rendering import babel_locale, build_context, render_template
from catalogue.snapshots import brand_snapshot, customer_snapshot
from customers.models import Customer
from notifications.models import Delivery, Digest, Event, Notification
from notifications.services.transitions import notifications_transition
from preferences.selectors import address_for, customer_zone, next_digest_at, preferences_of

DIGEST_TYPE_KEY, DIGEST_TYPE_NAME = "daily_digest", "Daily digest"
HELD = (Notification.Hold.DIGEST, Notification.Hold.CAP)


def digest_type() -> NotificationType:
    """The ``daily_digest`` type and its templates, installed once (merchant edits are kept)."""
    ntype, _ = NotificationType.objects.get_or_create(
        key=DIGEST_TYPE_KEY,
        defaults={
            "name": DIGEST_TYPE_NAME,
            "name_en": DIGEST_TYPE_NAME,
            "category": NotificationType.Category.DIGEST,
            "critical": False,
        },
    )
    for channel, by_language in load_copy().get(DIGEST_TYPE_KEY, {}).items():
        if Template.objects.filter(notification_type=ntype, channel=channel).exists():
            continue
        fields = {
            f"{name}_{language}": value for language, parts in by_language.items() for name, value in parts.items()
        }
        try:
            with transaction.atomic():
                Template.objects.create(notification_type=ntype, channel=channel, **fields)
        except IntegrityError:
            pass  # installed concurrently
    return ntype


def held_due(*, now) -> list[int]:
    """Customers with held notifications whose digest time has come."""
    return list(
        Notification.objects.filter(hold__in=HELD, status=Notification.Status.PLANNED, send_after__lte=now)
        .values_list("customer_id", flat=True)
        .distinct()
    )


def _item(notification: Notification) -> dict:
    """One line of the digest: the held notification's own push copy, in its language."""
    from preferences.links import preference_link_for

    template = Template.objects.filter(notification_type=notification.notification_type, channel="push").first()
    shipment = notification.event.payload.get("shipment") or {}
    links = {
        "preferences": preference_link_for(notification.customer),
        "unsubscribe": "",
        "tracking": shipment.get("tracking_url", ""),
        "reschedule": shipment.get("reschedule_url", ""),
    }
    language = notification.language.split("-")[0].lower()
    if template is None:
        return {"title": notification.notification_type.name, "text": "", "link": "", "link_label": ""}
    context = build_context(
        payload=notification.event.payload,
        customer_snapshot=customer_snapshot(notification.customer),
        language=notification.language,
        links=links,
    )
    rendered = render_template(template, language=language, context=context)
    return {"title": rendered.subject, "text": rendered.body_text, "link": rendered.link, "link_label": rendered.link}


def _digest_channels(notification: Notification) -> list[str]:
    channels = list(notification.channels or [])
    return channels if notification.mode == "all" else channels[:1]


def digest_build(*, customer_id: int, now=None) -> list[Delivery]:
    """Collect the customer's due held notifications into one digest per channel and plan its
    delivery. Safe to run twice: held rows are locked and leave the held state, and the digest's
    unique key stops a second digest for the same day. Returns the deliveries to dispatch."""
    now = now or timezone.now()
    ntype = digest_type()
    with transaction.atomic():
        customer = Customer.objects.select_related("brand").get(pk=customer_id)
        held = list(
            Notification.objects.select_for_update()
            .filter(customer=customer, hold__in=HELD, status=Notification.Status.PLANNED, send_after__lte=now)
            .select_related("notification_type", "event")
            .order_by("created_at", "id")
        )
        if not held:
            return []
        zone = customer_zone(customer)
        day = now.astimezone(zone).date()
        by_channel: dict[str, list[Notification]] = {}
        for notification in held:
            for channel in _digest_channels(notification):
                by_channel.setdefault(channel, []).append(notification)
        deliveries, carried = [], {}
        for channel, items in by_channel.items():
            key = f"{customer.pk}:{channel}:{day.isoformat()}"
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(
                        customer=customer, channel=channel, day=day, key=key, item_count=len(items)
                    )
            except IntegrityError:
                continue  # today's digest on this channel went out already: these wait for the next one
            delivery = _plan_digest(digest=digest, ntype=ntype, customer=customer, items=items, now=now)
            deliveries.append(delivery)
            for notification in items:
                carried.setdefault(notification.pk, digest)
        later = next_digest_at(prefs=preferences_of(customer), zone=zone, now=now)
        for notification in held:
            if notification.pk not in carried:
                notification.send_after = later
                notification.save(update_fields=["send_after", "updated_at"])

        def reason(n: Notification) -> str:
            return f"sent in the daily digest of {day.isoformat()} ({carried[n.pk].channel})"

        notifications_transition(
            [n for n in held if n.pk in carried],
            to_status=Notification.Status.SENT,
            actor="system:digest",
            reason=reason,
            data=lambda n: {"digest": carried[n.pk].pk},
            changes=lambda n: {"digest": carried[n.pk], "reason": reason(n)},
        )
    return deliveries


def _plan_digest(
    *, digest: Digest, ntype: NotificationType, customer: Customer, items: list[Notification], now
) -> Delivery:
    language = items[-1].language
    payload = {
        "brand": brand_snapshot(customer.brand),
        "digest": {
            "count": len(items),
            "day": digest.day.isoformat(),
            "day_display": format_date(digest.day, format="long", locale=babel_locale(language)),
            "items": [_item(n) for n in items],
        },
    }
    event = Event.objects.create(
        type="digest.daily",
        subject_type="digest",
        subject_id=digest.pk,
        brand_id=customer.brand_id,
        customer=customer,
        payload=payload,
        processed_at=now,
    )
    notification = Notification.objects.create(
        dedupe_key=f"digest:{digest.key}",
        customer=customer,
        brand_id=customer.brand_id,
        notification_type=ntype,
        event=event,
        subject_key=f"digest:{digest.pk}",
        language=language,
        channels=[digest.channel],
        mode="fallback",
        priority=7,
        send_after=now,
        reason=f"daily digest of {len(items)} updates",
    )
    digest.notification = notification
    digest.save(update_fields=["notification"])
    return Delivery.objects.create(
        notification=notification,
        channel=digest.channel,
        to=address_for(customer=customer, channel=digest.channel),
        send_after=now,
    )


def digests_build_due(*, now=None) -> list[Delivery]:
    now = now or timezone.now()
    deliveries: list[Delivery] = []
    for customer_id in held_due(now=now):
        deliveries.extend(digest_build(customer_id=customer_id, now=now))
    return deliveries
