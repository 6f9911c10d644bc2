"""Preference services: consent per channel (logged), the preference center's choices, browser push
subscriptions and app presence, and requests for a fresh preference link (sent by the pipeline)."""

from django.db import IntegrityError, transaction

from core.audit import AuditAction
from core.transitions import audit
from customers.models import Customer
from customers.services import customer_update


def consent_set(
    *,
    customer: Customer,
    channel: str,
    state: str,
    source: str,
    actor: str = "",
    type_key: str = "",
    delivery_id: int | None = None,
    notification_id: int | None = None,
    reference: str = "",
) -> bool:
    """Set a customer's consent for a whole channel (``type_key`` empty: ``ChannelConsent``, the
    legal one) or for one notification type on it (``TypePreference``; state ``opted_in`` /
    ``opted_out``), and append the change to the consent log. Returns whether anything changed."""
    from preferences.models import ChannelConsent, ConsentLog, TypePreference

    with transaction.atomic():
        if type_key:
            row, _ = TypePreference.objects.select_for_update().get_or_create(
                customer=customer, type_key=type_key, channel=channel, defaults={"enabled": True}
            )
            old = ChannelConsent.State.OPTED_IN if row.enabled else ChannelConsent.State.OPTED_OUT
            if old == state:
                return False
            row.enabled = state == ChannelConsent.State.OPTED_IN
            row.save(update_fields=["enabled", "updated_at"])
        else:
            row = ChannelConsent.objects.select_for_update().filter(customer=customer, channel=channel).first()
            old = row.state if row else ""  # no row: never asked, which is not an opt-out
            if old == state:
                return False
            try:
                with transaction.atomic():
                    ChannelConsent.objects.update_or_create(
                        customer=customer, channel=channel, defaults={"state": state, "source": source}
                    )
            except IntegrityError:  # a concurrent first write; ours wins after it
                ChannelConsent.objects.filter(customer=customer, channel=channel).update(state=state, source=source)
        ConsentLog.objects.create(
            customer=customer,
            channel=channel,
            type_key=type_key,
            old_state=old,
            new_state=state,
            source=source,
            actor=actor[:120],
            delivery_id=delivery_id,
            notification_id=notification_id,
            reference=reference[:200],
        )
    return True


# --- The preference center's writes (issue 6): one service for the center and the partner API ------


def preferences_of_for_update(customer: Customer):
    from preferences.models import CustomerPreferences
    from preferences.selectors import default_preferences

    prefs, _ = CustomerPreferences.objects.select_for_update().get_or_create(
        customer=customer, defaults=default_preferences()
    )
    return prefs


def preferences_save(*, customer: Customer, data: dict, source: str, actor: str = "") -> Customer:
    """Apply a customer's choices (any subset of the keys below), log each consent change with
    ``source`` (center, api, agent) and audit the rest. Keys: ``language``, ``time_zone``,
    ``channels`` {channel: bool} (whole-channel consent), ``types`` {type_key: {channel: bool}}
    (critical types are ignored: they cannot be switched off), ``channel_order`` [channels],
    ``quiet_hours`` {enabled, start, end, channels}, ``rhythm`` {category: instant|daily},
    ``digest_hour`` 0-23. Validation is the caller's (forms, serializers)."""
    from catalogue.models import NotificationType
    from preferences.models import ChannelConsent, TypePreference

    opted = ChannelConsent.State
    with transaction.atomic():
        contact = {k: data[k] for k in ("language", "time_zone") if data.get(k)}
        if contact:
            customer = customer_update(customer=customer, data=contact, actor=actor or source)
        current = dict(ChannelConsent.objects.filter(customer=customer).values_list("channel", "state"))
        for channel, on in (data.get("channels") or {}).items():
            if on != (current.get(channel) != opted.OPTED_OUT):
                consent_set(
                    customer=customer,
                    channel=channel,
                    state=opted.OPTED_IN if on else opted.OPTED_OUT,
                    source=source,
                    actor=actor,
                )
        types = data.get("types") or {}
        critical = set(
            NotificationType.objects.filter(key__in=list(types), critical=True).values_list("key", flat=True)
        )
        enabled = {
            (t, c): e
            for t, c, e in TypePreference.objects.filter(customer=customer).values_list(
                "type_key", "channel", "enabled"
            )
        }
        for type_key, by_channel in types.items():
            if type_key in critical:
                continue
            for channel, on in by_channel.items():
                if on != enabled.get((type_key, channel), True):
                    consent_set(
                        customer=customer,
                        channel=channel,
                        type_key=type_key,
                        source=source,
                        actor=actor,
                        state=opted.OPTED_IN if on else opted.OPTED_OUT,
                    )
        prefs = preferences_of_for_update(customer)
        changed = []
        if "channel_order" in data:
            prefs.channel_order = list(dict.fromkeys(data["channel_order"]))  # unique, order kept
            changed.append("channel_order")
        quiet = data.get("quiet_hours")
        if quiet:
            for key, field in (
                ("enabled", "quiet_hours_enabled"),
                ("start", "quiet_start"),
                ("end", "quiet_end"),
                ("channels", "quiet_channels"),
            ):
                if key in quiet:
                    setattr(prefs, field, quiet[key])
                    changed.append(field)
        if "rhythm" in data:
            prefs.rhythm = {**(prefs.rhythm or {}), **data["rhythm"]}
            changed.append("rhythm")
        if data.get("digest_hour") is not None:
            prefs.digest_hour = int(data["digest_hour"])
            changed.append("digest_hour")
        if changed:
            prefs.save()
            audit(
                obj=customer,
                action=AuditAction.PREFERENCES_CHANGED,
                actor=actor or source,
                data={"fields": sorted(set(changed))},
            )
    return customer


def app_presence_report(*, customer: Customer, seen_at=None) -> None:
    """The merchant's app saw the customer's device: push counts as active for a while."""
    from django.utils import timezone

    with transaction.atomic():
        prefs = preferences_of_for_update(customer)
        prefs.app_seen_at = seen_at or timezone.now()
        prefs.save(update_fields=["app_seen_at", "updated_at"])


def push_subscription_save(*, customer: Customer, endpoint: str, p256dh: str, auth: str, user_agent: str = ""):
    """Store a browser's Web Push subscription for ``customer`` (the same endpoint again updates
    its keys and makes it live again)."""
    from preferences.models import PushSubscription

    with transaction.atomic():
        sub, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "customer": customer,
                "p256dh": p256dh,
                "auth": auth,
                "user_agent": user_agent[:300],
                "expired_at": None,
            },
        )
        if created:
            from preferences.models import ChannelConsent

            consent_set(
                customer=customer,
                channel="push",
                state=ChannelConsent.State.OPTED_IN,
                source="center",
                actor="customer",
                reference="browser push subscription",
            )
    return sub


def preference_link_request(*, customer: Customer, actor: str) -> str:
    """Ask for a fresh preference link for ``customer``, to go to their own address on file (never
    to one typed in): audited, and announced with ``preference_link_requested`` in the same
    transaction, for the pipeline to send it like any other message (the shipped rule: email, else
    SMS). Returns the channel it is expected to go by, "" when the customer has no usable
    address (the notification then says why it was not sent)."""
    from preferences.selectors import preference_link_channel
    from preferences.signals import preference_link_requested

    channel = preference_link_channel(customer)
    with transaction.atomic():
        audit(obj=customer, action=AuditAction.PREFERENCE_LINK_REQUESTED, actor=actor, data={"channel": channel})
        preference_link_requested.send(sender=Customer, customer=customer, actor=actor)
    return channel
