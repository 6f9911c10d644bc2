"""Planning: an event, its recipients and the matching rules become Notification rows (unique
by dedupe key) with their first Delivery rows, after language, consent and coalescing."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone

from catalogue.models import Rule
from catalogue.rendering import TEMPLATE_LANGUAGES
from core.bulk import update_rows
from customers.models import Customer
from notifications.models import Delivery, Event, Notification
from notifications.queueing import enqueue_deliveries
from notifications.selectors import channels_at_cap, event_recipients, rules_for
from notifications.services.transitions import deliveries_transition, notifications_transition
from notifications.waits import scaled
from preferences.selectors import address_for, effective_plan

PLANNING = "system:planning"

SUBJECT_FIELDS = {"return": "return_request_id", "order": "order_id"}


def resolve_language(*, customer: Customer, brand) -> str:
    """The customer's language if templates exist for it (``es-MX`` -> ``es``), else the brand's,
    else English. Returns the full tag so money and dates keep the customer's region."""
    for tag in (customer.language, brand.default_language if brand else "", "en"):
        if tag and tag.split("-")[0].lower() in TEMPLATE_LANGUAGES:
            return tag
    return "en"


def _subject_key(event: Event) -> str:
    kind = "product" if event.subject_type == "stock" else event.subject_type
    return f"{kind}:{event.subject_id}"


def _status_key(event: Event) -> str:
    status = event.payload.get("to_status") or event.type.split(".")[-1]
    if event.subject_type == "stock":
        # Each back-in-stock episode is news; the same one reported twice is not.
        return f"{event.type}:{timezone.localdate(event.created_at).isoformat()}"
    if event.subject_type == "customer":
        return f"{event.type}:{event.pk}"  # each request (a fresh preference link) is news
    return f"{event.type.split('.')[0]}.{status}"


def _coalescing_key(notification: Notification) -> tuple:
    return notification.customer_id, notification.subject_key, notification.notification_type.coalesce_group


def _supersede(notifications: list[Notification]) -> None:
    """Coalescing: of one customer's notifications of one coalescing group about one subject,
    only the newest event's goes out. For these new notifications (saved; one, or a batch's),
    with one locking read of their existing siblings: a still-planned sibling of an older event
    is superseded by the new one, a new one with a sibling of a newer event (existing or new) is
    superseded itself. The superseded notifications and the pending deliveries of the existing
    ones move set-wise, each with an audit row."""
    grouped = [
        n for n in notifications if n.notification_type.coalesce_group and n.status != Notification.Status.NOT_SENT
    ]
    if not grouped:
        return
    pairs = Q()
    for n in grouped:
        pairs |= Q(customer_id=n.customer_id, subject_key=n.subject_key)
    new = {n.pk for n in notifications}
    family: dict[tuple, list[Notification]] = {}
    for other in (
        Notification.objects.select_for_update(of=("self",))
        .select_related("notification_type")
        .filter(pairs)
        .exclude(status=Notification.Status.SUPERSEDED)
        .exclude(notification_type__coalesce_group="")
        .exclude(pk__in=new)
        .order_by("pk")
    ):
        family.setdefault(_coalescing_key(other), []).append(other)
    newer: dict[int, Notification] = {}  # superseded notification's pk -> the one superseding it
    losers: list[Notification] = []
    for n in sorted(grouped, key=lambda n: n.event_id):
        siblings = family.setdefault(_coalescing_key(n), [])
        for other in sorted(siblings, key=lambda o: o.event_id):
            if other.pk in newer:
                continue
            if other.event_id < n.event_id and other.status == Notification.Status.PLANNED:
                newer[other.pk] = n
                losers.append(other)
            elif other.event_id > n.event_id:
                newer[n.pk] = other
                losers.append(n)
                break
        siblings.append(n)
    _mark_superseded(losers, newer=newer, fresh=new)


def _mark_superseded(notifications: list[Notification], *, newer: dict[int, Notification], fresh: set[int]) -> None:
    """Supersede these locked notifications (``newer`` names each one's successor) and the
    pending deliveries of those not made just now (``fresh`` ones have none yet)."""
    if not notifications:
        return
    reasons = {n.pk: f"superseded by a newer update ({newer[n.pk].notification_type.key})" for n in notifications}
    notifications_transition(
        notifications,
        to_status=Notification.Status.SUPERSEDED,
        actor=PLANNING,
        reason=lambda n: reasons[n.pk],
        data=lambda n: {"superseded_by": newer[n.pk].pk},
        changes=lambda n: {"superseded_by": newer[n.pk], "reason": reasons[n.pk]},
    )
    existing = [n.pk for n in notifications if n.pk not in fresh]
    if existing:
        pending = list(
            Delivery.objects.select_for_update()
            .filter(notification_id__in=existing, status=Delivery.Status.PENDING)
            .order_by("pk")
        )
        deliveries_transition(
            pending,
            to_status=Delivery.Status.SUPERSEDED,
            actor=PLANNING,
            reason=lambda d: reasons[d.notification_id],
            changes=lambda d: {"error": reasons[d.notification_id]},
        )


def dedupe_key_for(*, event: Event, customer: Customer, rule: Rule) -> str:
    return f"{customer.pk}:{rule.notification_type.key}:{_subject_key(event)}:{_status_key(event)}"


@dataclass
class Draft:
    """A notification worked out for one customer and rule, not saved yet, with the deliveries
    its plan calls for (none when held for the digest or no channel is allowed)."""

    notification: Notification
    deliveries: list[Delivery]


def notification_draft(*, event: Event, customer: Customer, rule: Rule, now) -> Draft:
    """Language, consent, channel order, caps, digest and quiet hours applied: the unsaved rows."""
    ntype = rule.notification_type
    plan = effective_plan(
        customer=customer,
        type_key=ntype.key,
        category=ntype.category,
        critical=ntype.critical,
        channels=rule.channels,
        mode=rule.mode,
        now=now,
        capped=lambda allowed: channels_at_cap(customer=customer, channels=allowed, now=now),
    )
    allowed, skipped = plan.channels, plan.skipped
    base = now + scaled(rule.coalesce_seconds)
    first = allowed if plan.mode == Rule.Mode.ALL else allowed[:1]
    send_after = base
    if plan.digest_at:
        send_after = plan.digest_at  # held: the digest builder picks it up then (no deliveries yet)
    elif plan.hold_until:
        send_after = min(plan.send_after(c, send_after) for c in first)
    fields = dict(
        dedupe_key=dedupe_key_for(event=event, customer=customer, rule=rule),
        customer=customer,
        brand_id=event.brand_id or customer.brand_id,
        notification_type=ntype,
        rule=rule,
        event=event,
        subject_key=_subject_key(event),
        order_id=event.order_id,
        language=resolve_language(customer=customer, brand=customer.brand),
        channels=allowed,
        mode=plan.mode,
        skipped=skipped,
        priority=rule.priority,
        send_after=send_after,
        hold=plan.hold,
        reason=plan.reason[:200],
    )
    if event.subject_type == "return":
        fields["return_request_id"] = event.subject_id
    if not allowed:
        fields.update(
            status=Notification.Status.NOT_SENT,
            reason="; ".join(f"{c}: {r.replace('_', ' ')}" for c, r in skipped.items()),
        )
    notification = Notification(**fields)
    deliveries = (
        []
        if plan.digest_at
        else [
            Delivery(
                notification=notification,
                channel=c,
                to=address_for(customer=customer, channel=c),
                send_after=plan.send_after(c, base),
            )
            for c in first
        ]
    )
    return Draft(notification, deliveries)


def notification_plan(
    *, event: Event, customer: Customer, rule: Rule, now=None
) -> tuple[Notification | None, list[Delivery]]:
    """Create the notification for one customer and one rule, or nothing if its dedupe key exists.
    Returns it with the deliveries created for it."""
    now = now or timezone.now()
    if Notification.objects.filter(dedupe_key=dedupe_key_for(event=event, customer=customer, rule=rule)).exists():
        return None, []
    draft = notification_draft(event=event, customer=customer, rule=rule, now=now)
    notification = draft.notification
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        return None, []  # planned concurrently by a redelivered copy of this event
    if notification.status == Notification.Status.NOT_SENT:
        return notification, []
    _supersede([notification])
    if notification.status == Notification.Status.SUPERSEDED or not draft.deliveries:
        return notification, []
    return notification, Delivery.objects.bulk_create(draft.deliveries)


def _rules(event: Event, rules_by_type: dict) -> list[Rule]:
    if event.type not in rules_by_type:
        rules_by_type[event.type] = list(
            Rule.objects.filter(event_type=event.type, is_active=True).select_related("notification_type")
        )
    return rules_by_type[event.type]


def _plan_locked(event: Event, *, now, rules_by_type: dict) -> list[Delivery]:
    """Plan one locked, unprocessed event (its rules cached per event type for the batch)."""
    rules = _rules(event, rules_by_type)
    due: list[Delivery] = []
    for customer in event_recipients(event=event) if rules else []:
        for rule in rules_for(event=event, customer=customer, rules=rules):
            _notification, deliveries = notification_plan(event=event, customer=customer, rule=rule, now=now)
            due.extend(deliveries)
    return due


def _plan_batch(events: list[Event], *, now, rules_by_type: dict) -> list[Delivery]:
    """Plan a batch of locked single-recipient events with a fixed number of queries: known
    dedupe keys, one insert of all notifications, one locking read of their coalescing siblings,
    one insert of all deliveries. A dedupe key taken meanwhile by another worker raises
    IntegrityError, which undoes the batch (the caller then goes event by event)."""
    known = _batch_known_keys(events, rules_by_type)
    drafts: list[Draft] = []
    for event in events:
        customer = event.customer
        for rule in rules_for(event=event, customer=customer, rules=_rules(event, rules_by_type)):
            key = dedupe_key_for(event=event, customer=customer, rule=rule)
            if key not in known:
                known.add(key)
                drafts.append(notification_draft(event=event, customer=customer, rule=rule, now=now))
    if not drafts:
        return []
    Notification.objects.bulk_create([d.notification for d in drafts])
    for d in drafts:
        for delivery in d.deliveries:
            delivery.notification = d.notification  # now with its primary key
    _supersede([d.notification for d in drafts])  # a notification superseded here gets no deliveries
    return Delivery.objects.bulk_create(
        [delivery for d in drafts if d.notification.status == Notification.Status.PLANNED for delivery in d.deliveries]
    )


def _batch_known_keys(events: list[Event], rules_by_type: dict) -> set[str]:
    """The dedupe keys the batch's single-recipient events could take that exist already (one
    query), with the recipients' consents, type preferences and push subscriptions prefetched
    for the plan (three more) — instead of four queries per event."""
    customers = [e.customer for e in events if e.subject_type != "stock" and e.customer_id]
    prefetch_related_objects(customers, "channel_consents", "type_preferences", "push_subscriptions")
    keys = {
        dedupe_key_for(event=e, customer=e.customer, rule=r)
        for e in events
        if e.subject_type != "stock" and e.customer_id
        for r in _rules(e, rules_by_type)
    }
    return set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)) if keys else set()


def _mark_processed(events: list[Event]) -> None:
    processed_at = timezone.now()
    for event in events:
        event.processed_at, event.processing_attempts = processed_at, event.processing_attempts + 1
    update_rows(events, ["processed_at", "processing_attempts"])


def _locked_events():
    # The recipient, their brand and preferences come with the locked row (bench profile).
    return Event.objects.select_for_update(of=("self",), skip_locked=True).select_related(
        "customer__brand", "customer__preferences"
    )


def events_process(*, event_ids: list[int], limit: int = 1) -> list[Delivery]:
    """Plan ``event_ids`` and, up to ``limit`` in all, other waiting events (oldest first), in
    one transaction; events another worker holds are skipped (it is planning them). Idempotent,
    like ``event_process``. Should one event fail, the batch is undone and each event is planned
    in a transaction of its own, so a bad event holds up no other. Returns the new deliveries."""
    if limit <= 1 and len(event_ids) == 1:
        return event_process(event_id=event_ids[0])
    events: list[Event] = []
    try:
        with transaction.atomic():
            events = list(_locked_events().filter(pk__in=event_ids, processed_at__isnull=True).order_by("pk"))
            if len(events) < limit:
                events += list(
                    _locked_events()
                    .filter(processed_at__isnull=True)
                    .exclude(pk__in=event_ids)
                    .order_by("created_at")[: limit - len(events)]
                )
            if not events:
                return []
            now, rules_by_type = timezone.now(), {}
            due: list[Delivery] = []
            # A stock event's recipients are found by query: planned one by one.
            single = [e for e in events if e.subject_type != "stock" and e.customer_id]
            for event in events:
                if event not in single:
                    due += _plan_locked(event, now=now, rules_by_type=rules_by_type)
            due += _plan_batch(single, now=now, rules_by_type=rules_by_type)
            _mark_processed(events)
        return due
    except Exception:
        if not events:
            raise
    # Isolate the bad event: one transaction per event; its error is kept on the event (the
    # timeline shows it) and raised once the others are planned. The sweeper tries it again.
    due, failure = [], None
    for event in events:
        try:
            due += event_process(event_id=event.pk)
        except Exception as exc:  # noqa: BLE001
            failure = failure or exc
            Event.objects.filter(pk=event.pk).update(
                last_error=f"{exc.__class__.__name__}: {exc}"[:2000], processing_attempts=F("processing_attempts") + 1
            )
    if failure:
        enqueue_deliveries(due)  # what was planned before the failure (the task will not)
        raise failure
    return due


def event_process(*, event_id: int) -> list[Delivery]:
    """Plan every notification an event causes; idempotent (a processed event is skipped, and
    dedupe keys stop a second plan). Returns the new deliveries, to dispatch after commit."""
    now = timezone.now()
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",)).select_related("customer__brand").filter(pk=event_id).first()
        )
        if event is None or event.processed_at:
            return []
        due = _plan_locked(event, now=now, rules_by_type={})
        _mark_processed([event])
    return due
