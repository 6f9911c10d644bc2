"""Reads of a customer's reachability: which channels may carry a notification type, and why not;
and the customer's effective plan for one notification (channel order, push activity, frequency
caps, daily digest, quiet hours), which the planner follows."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from customers.models import Customer, CustomerIdentity
from preferences.models import ChannelConsent, CustomerPreferences, PushSubscription, TypePreference


def customers_for_channels(*, channels) -> QuerySet[Customer]:
    """Customers a partner may see: those with an identity or an order in one of ``channels``."""
    from orders.models import Order

    in_channels = Q(pk__in=CustomerIdentity.objects.filter(sales_channel__in=channels).values("customer_id"))
    ordered = Q(pk__in=Order.objects.filter(sales_channel__in=channels).values("customer_id"))
    return Customer.objects.filter(in_channels | ordered)


@dataclass(frozen=True)
class ChannelVerdict:
    channel: str
    allowed: bool
    reason: str = ""  # why not: no_contact, no_consent, opted_out_type


def _address(customer: Customer, channel: str) -> str:
    if channel == "email":
        return customer.email
    if channel in ("sms", "whatsapp"):
        return customer.phone
    if channel == "push":
        return "push"  # push reachability is decided by the push provider (subscriptions)
    return ""


def channel_verdicts(*, customer: Customer, type_key: str, critical: bool, channels: list[str]) -> list[ChannelVerdict]:
    """For each of ``channels`` in order: may this customer be sent ``type_key`` on it?

    Channel consent (law) beats everything; a per-type opt-out is ignored for critical types.
    """
    # Through the customer's related rows, so a planner that prefetched them for a batch of
    # customers asks nothing here (without a prefetch: one small query each, as before).
    opted_out = {c.channel for c in customer.channel_consents.all() if c.state == ChannelConsent.State.OPTED_OUT}
    type_off = {p.channel for p in customer.type_preferences.all() if p.type_key == type_key and not p.enabled}
    verdicts = []
    for channel in channels:
        if not _address(customer, channel):
            verdicts.append(ChannelVerdict(channel, False, "no_contact"))
        elif channel in opted_out:
            verdicts.append(ChannelVerdict(channel, False, "no_consent"))
        elif channel in type_off and not critical:
            verdicts.append(ChannelVerdict(channel, False, "opted_out_type"))
        else:
            verdicts.append(ChannelVerdict(channel, True))
    return verdicts


def address_for(*, customer: Customer, channel: str) -> str:
    return _address(customer, channel)


PREFERENCE_LINK_CHANNELS = ("email", "sms")  # the shipped rule's plan for a fresh preference link


def preference_link_channel(customer: Customer) -> str:
    """The channel a fresh preference link will go by, planned as the pipeline plans it (email,
    else SMS; the customer's channel order; consent): "" when no channel is left."""
    plan = effective_plan(
        customer=customer,
        type_key="preference_link",
        category="account",
        critical=True,
        channels=list(PREFERENCE_LINK_CHANNELS),
    )
    return plan.channels[0] if plan.channels else ""


# --- The customer's effective plan (issue 6): order, push activity, caps, digest, quiet hours ------

CHANNELS = ("email", "sms", "whatsapp", "push")
# The categories whose types a customer chooses per channel, and whose rhythm (instant or daily)
# they choose; digests, account messages (a preference link, an answer to a text) and staff test
# sends are no choice.
CHOICE_CATEGORIES = ("shipping", "backorder", "returns")


def default_preferences() -> dict:
    """What a customer who never chose gets: ``QUIET_HOURS_DEFAULT`` (21:00-08:00 unless set) on
    ``QUIET_HOURS_DEFAULT_CHANNELS`` (SMS, WhatsApp, push), everything instant."""
    window = (settings.QUIET_HOURS_DEFAULT or "").strip()
    start, end = (part.strip() for part in (window or "21:00-08:00").split("-", 1))
    return {
        "quiet_channels": list(settings.QUIET_HOURS_DEFAULT_CHANNELS),
        "quiet_hours_enabled": bool(window),
        "quiet_start": dt.time.fromisoformat(start),
        "quiet_end": dt.time.fromisoformat(end),
    }


def preferences_of(customer: Customer) -> CustomerPreferences:
    """The customer's preference row; an unsaved one with the defaults when they never chose."""
    try:
        return customer.preferences
    except CustomerPreferences.DoesNotExist:
        return CustomerPreferences(customer=customer, **default_preferences())


def customer_zone(customer: Customer) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def push_is_active(*, customer: Customer, now=None) -> bool:
    """Push reaches the customer: a live Web Push subscription, or their device was reported by
    the merchant's app within ``PUSH_APP_ACTIVE_DAYS``."""
    now = now or timezone.now()
    if any(s.expired_at is None for s in customer.push_subscriptions.all()):  # prefetched by the planner
        return True
    seen = preferences_of(customer).app_seen_at
    return bool(seen and seen >= now - dt.timedelta(days=settings.PUSH_APP_ACTIVE_DAYS))


def ordered_channels(
    *, prefs: CustomerPreferences, channels: list[str], mode: str, critical: bool
) -> tuple[list[str], str]:
    """The rule's channels in the customer's order. A customer order means "first that works":
    non-critical messages then go in fallback mode; push joins when the customer ranked it.
    Critical messages keep the rule's mode (every channel at once, if so)."""
    order = [c for c in (prefs.channel_order or []) if c in CHANNELS]
    if not order:
        return list(channels), mode
    ranked = [c for c in order if c in channels or c == "push"]
    result = ranked + [c for c in channels if c not in ranked]
    return result, (mode if critical else "fallback")


def quiet_hours_end(*, prefs: CustomerPreferences, zone: dt.tzinfo, now) -> dt.datetime | None:
    """When quiet hours end, if ``now`` falls inside them (in the customer's zone), else None.
    Wall-clock arithmetic in the zone, so a DST change in the night moves the UTC instant."""
    if not prefs.quiet_hours_enabled:
        return None
    start, end = _as_time(prefs.quiet_start), _as_time(prefs.quiet_end)
    if start == end:
        return None
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:  # e.g. 13:00-15:00
        inside, end_day = start <= t < end, local.date()
    else:  # crosses midnight, e.g. 21:00-08:00
        inside = t >= start or t < end
        end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return _local_instant(end_day, end, zone)


def next_digest_at(*, prefs: CustomerPreferences, zone: dt.tzinfo, now) -> dt.datetime:
    """The next daily digest time (the customer's chosen local hour) strictly after ``now``."""
    local = now.astimezone(zone)
    hour = dt.time(min(int(prefs.digest_hour), 23))
    candidate = _local_instant(local.date(), hour, zone)
    if candidate <= now:
        candidate = _local_instant(local.date() + dt.timedelta(days=1), hour, zone)
    return candidate


@dataclass(frozen=True)
class EffectivePlan:
    """What the planner does with one notification for one customer."""

    channels: list  # allowed, in order
    mode: str  # fallback or all
    skipped: dict  # channel -> why not (no_contact, no_consent, opted_out_type, push_inactive, cap)
    hold: str = ""  # "", quiet_hours, digest, cap
    digest_at: dt.datetime | None = None  # held for the digest until then (no deliveries yet)
    hold_until: dict = None  # channel -> quiet hours end
    reason: str = ""

    def send_after(self, channel: str, base: dt.datetime) -> dt.datetime:
        until = (self.hold_until or {}).get(channel)
        return max(base, until) if until else base


def effective_plan(
    *,
    customer: Customer,
    type_key: str,
    category: str,
    critical: bool,
    channels: list[str],
    mode: str = "fallback",
    now=None,
    capped=None,
) -> EffectivePlan:
    """The customer's effective plan for one notification, in small steps:
    1. channel order; 2. per-channel verdicts (consent law, per-type opt-outs unless critical,
    push activity); then for non-critical only: 3. frequency caps (``capped(channels)``: those of
    the channels already at the customer's cap, counted by whoever sends); 4. daily digest;
    5. quiet hours."""
    now = now or timezone.now()
    prefs = preferences_of(customer)
    channels, mode = ordered_channels(prefs=prefs, channels=channels, mode=mode, critical=critical)
    verdicts = channel_verdicts(customer=customer, type_key=type_key, critical=critical, channels=channels)
    allowed = [v.channel for v in verdicts if v.allowed]
    skipped = {v.channel: v.reason for v in verdicts if not v.allowed}
    if "push" in allowed and not push_is_active(customer=customer, now=now):
        allowed.remove("push")
        skipped["push"] = "push_inactive"
    if critical or not allowed:
        return EffectivePlan(allowed, mode, skipped, hold_until={})
    zone = customer_zone(customer)
    capped = capped(allowed) if capped else set()
    if capped:
        instant = [c for c in allowed if c not in capped]
        for c in capped:
            skipped[c] = "cap"
        if not instant:
            at = next_digest_at(prefs=prefs, zone=zone, now=now)
            return EffectivePlan(
                sorted(capped, key=allowed.index),
                mode,
                skipped,
                hold="cap",
                digest_at=at,
                hold_until={},
                reason=f"frequency cap reached: deferred to the digest at {_fmt(at, zone)}",
            )
        allowed = instant
    if prefs.rhythm_for(category) == CustomerPreferences.Rhythm.DAILY:
        at = next_digest_at(prefs=prefs, zone=zone, now=now)
        return EffectivePlan(
            allowed,
            mode,
            skipped,
            hold="digest",
            digest_at=at,
            hold_until={},
            reason=f"held for the daily digest at {_fmt(at, zone)}",
        )
    quiet = set(prefs.quiet_channels or [])
    end = quiet_hours_end(prefs=prefs, zone=zone, now=now)
    hold_until = {c: end for c in allowed if end and c in quiet}
    if hold_until:
        return EffectivePlan(
            allowed,
            mode,
            skipped,
            hold="quiet_hours",
            hold_until=hold_until,
            reason=f"quiet hours: {', '.join(hold_until)} held until {_fmt(end, zone)}",
        )
    return EffectivePlan(allowed, mode, skipped, hold_until={})


def hold_until_for(*, customer: Customer, channel: str, critical: bool, now=None) -> dt.datetime:
    """When a fallback delivery on ``channel`` may go: now, or the end of quiet hours."""
    now = now or timezone.now()
    if critical:
        return now
    prefs = preferences_of(customer)
    if channel not in (prefs.quiet_channels or []):
        return now
    return quiet_hours_end(prefs=prefs, zone=customer_zone(customer), now=now) or now


def _as_time(value) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def _local_instant(day: dt.date, at: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The UTC instant of wall-clock ``day at`` in ``zone`` (a time skipped by DST resolves to the
    same wall time after the jump, as zoneinfo's fold=0 does)."""
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


def _fmt(moment: dt.datetime, zone: dt.tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def preferences_snapshot(*, customer: Customer, now=None) -> dict:
    """Everything the customer chose, in the partner API's shape (the same keys ``preferences_save`` takes)."""
    from catalogue.models import NotificationType

    prefs = preferences_of(customer)
    consents = dict(ChannelConsent.objects.filter(customer=customer).values_list("channel", "state"))
    off = set(TypePreference.objects.filter(customer=customer, enabled=False).values_list("type_key", "channel"))
    ntypes = list(NotificationType.objects.filter(category__in=CHOICE_CATEGORIES).order_by("category", "position"))
    return {
        "language": customer.language,
        "time_zone": customer.time_zone,
        "channels": {c: consents.get(c) != ChannelConsent.State.OPTED_OUT for c in CHANNELS},
        "types": {t.key: {c: t.critical or (t.key, c) not in off for c in CHANNELS} for t in ntypes},
        "critical_types": [t.key for t in ntypes if t.critical],
        "channel_order": list(prefs.channel_order or []),
        "quiet_hours": {
            "enabled": prefs.quiet_hours_enabled,
            "start": _as_time(prefs.quiet_start).strftime("%H:%M"),
            "end": _as_time(prefs.quiet_end).strftime("%H:%M"),
            "channels": list(prefs.quiet_channels or []),
        },
        "rhythm": {c: prefs.rhythm_for(c) for c in sorted({t.category for t in ntypes})},
        "digest_hour": prefs.digest_hour,
        "push": {
            "active": push_is_active(customer=customer, now=now),
            "live_subscriptions": PushSubscription.objects.filter(customer=customer, expired_at__isnull=True).count(),
            "app_seen_at": prefs.app_seen_at,
        },
    }
