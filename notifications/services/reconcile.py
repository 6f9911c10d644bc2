"""Reconciliation: a delivery whose last send's outcome nobody knows (a read timeout, a
connection dropped after sending, a worker that died mid-call) is asked about at its provider
before anything else is sent for it.

- Leases that ran out: a send still in flight past its lease (``Delivery.lease_until``) belongs
  to a worker that died or hung; its attempt's outcome becomes unknown and the delivery waits
  for a look-up. Nothing is resent blindly.
- Look-up: the provider's backend finds the message by Waypost's reference where it can (the
  delivery id in the ESP's metadata, the sandbox's outbox, Twilio's list matched on the text).
  Found: the delivery is sent, with the provider's id. Not found once the provider has settled
  (its indexing lag; where it has no look-up, the wait for a receipt carrying our reference):
  sent again, a new attempt with the same reference. The look-up itself failing: asked again
  later; past ``RECONCILE_GIVE_UP_SECONDS`` the delivery goes to the dead letters for an agent,
  never to a fallback (it may have arrived).
- A receipt that arrives meanwhile settles it too (``receipts.receipt_apply``)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels import provider_named
from channels.base import Found, Lookup, Reconciliation
from core.bulk import update_rows
from notifications.models import Delivery, DeliveryAttempt, Notification
from notifications.services import inflight
from notifications.services.calls import executor
from notifications.services.dispatch import delivery_fail
from notifications.services.transitions import (
    DELIVERY_MACHINE,
    delivery_set_status,
    notifications_refresh_status,
)

BATCH = 200
# A look-up that finds the first attempt a little before its recorded start (clock skew).
SKEW = timezone.timedelta(seconds=60)


def deliveries_lease_expired(*, now=None, limit: int = BATCH) -> list[Delivery]:
    """Sends in flight past their lease become unknown and wait for a look-up; returns them
    (to queue the look-ups due). Rows a worker holds are skipped: that worker is alive."""
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now)
        .order_by("lease_until")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=Delivery.Status.SENDING, lease_until__lt=now)
            .order_by("pk")
        )
        attempts = {
            a.delivery_id: a
            for a in DeliveryAttempt.objects.select_for_update()
            .filter(delivery__in=deliveries, outcome=DeliveryAttempt.Outcome.IN_FLIGHT)
            .order_by("number")
        }
        changed_attempts = []
        for d in deliveries:
            ended = d.lease_until
            attempt = attempts.get(d.pk)
            if attempt is not None:
                attempt.outcome, attempt.finished_at = DeliveryAttempt.Outcome.UNKNOWN, ended
                attempt.error_code = "lease_expired"
                attempt.error_text = "The worker sending it stopped before recording the provider's answer"
                changed_attempts.append(attempt)
            provider = provider_named(d.channel, attempt.provider if attempt else d.provider)
            DELIVERY_MACHINE.check(d.status, Delivery.Status.RECONCILING)
            d.status, d.updated_at, d.lease_until = Delivery.Status.RECONCILING, now, None
            d.error = "outcome unknown: the worker sending it stopped"
            d.send_after = max(now, inflight.first_lookup_at(provider, ended_at=ended))
        update_rows(changed_attempts, ["outcome", "finished_at", "error_code", "error_text"])
        update_rows(deliveries, ["status", "updated_at", "lease_until", "error", "send_after"])
    return deliveries


def _claim(delivery_ids: list[int], now) -> list[Delivery]:
    """Take the due reconciling deliveries (skipping any another worker holds) and push their
    next look-up past this one, so no second worker asks the provider meanwhile."""
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=delivery_ids, status=Delivery.Status.RECONCILING, send_after__lte=now)
            .order_by("pk")
        )
        for d in deliveries:
            provider = provider_named(d.channel, d.provider)
            d.send_after = now + timezone.timedelta(
                seconds=provider.call_seconds() + settings.DELIVERY_LEASE_MARGIN_SECONDS
            )
        update_rows(deliveries, ["send_after"])
    return deliveries


def _lookups(deliveries: list[Delivery]) -> dict[int, tuple[Lookup, list[DeliveryAttempt]]]:
    attempts: dict[int, list[DeliveryAttempt]] = {}
    for a in DeliveryAttempt.objects.filter(delivery__in=deliveries).order_by("delivery_id", "number"):
        attempts.setdefault(a.delivery_id, []).append(a)
    types = {
        pk: (key, sender)
        for pk, key, sender in Notification.objects.filter(pk__in={d.notification_id for d in deliveries}).values_list(
            "pk", "notification_type__key", "brand__sender_email"
        )
    }
    found = {}
    for d in deliveries:
        rows = attempts.get(d.pk, [])
        if not rows:
            continue
        type_key, sender = types.get(d.notification_id, ("", ""))
        found[d.pk] = (
            Lookup(
                delivery_id=d.pk,
                channel=d.channel,
                to=d.to,
                since=rows[0].started_at - SKEW,
                type_key=type_key,
                sender=sender,
                body_digests=tuple(a.body_digest for a in rows if a.body_digest),
            ),
            rows,
        )
    return found


def _ask(delivery: Delivery, lookup: Lookup, provider_name: str) -> Reconciliation:
    try:
        return provider_named(delivery.channel, provider_name).reconcile(lookup)
    except Exception as exc:  # the look-up failing is not an answer: ask again later
        return Reconciliation(Found.UNAVAILABLE, error_text=f"{exc.__class__.__name__}: {exc}"[:500])


def _unresolved(attempts: list[DeliveryAttempt]) -> list[DeliveryAttempt]:
    return [a for a in attempts if a.outcome == DeliveryAttempt.Outcome.UNKNOWN and not a.resolution]


def deliveries_reconcile(*, delivery_ids: list[int]) -> list[Delivery]:
    """Ask the providers about these reconciling deliveries (those due) and act on the answers.
    Returns deliveries to dispatch next (sends again, fallbacks, later look-ups)."""
    now = timezone.now()
    claimed = _claim(list(delivery_ids), now)
    if not claimed:
        return []
    lookups = _lookups(claimed)
    answers, pending = {}, []
    for d in claimed:
        if d.pk not in lookups:
            continue
        lookup, rows = lookups[d.pk]
        name = (_unresolved(rows) or rows)[-1].provider
        if getattr(provider_named(d.channel, name), "parallel", False):  # HTTP look-ups side by side
            pending.append((d, rows, executor().submit(_ask, d, lookup, name)))
        else:  # providers that use this thread's database connection (the sandbox)
            answers[d.pk] = (rows, _ask(d, lookup, name))
    answers.update({d.pk: (rows, future.result()) for d, rows, future in pending})
    return _record(answers, stray=[d for d in claimed if d.pk not in lookups])


def _record(answers: dict[int, tuple[list[DeliveryAttempt], Reconciliation]], *, stray) -> list[Delivery]:
    now = timezone.now()
    follow_up: list[Delivery] = []
    with transaction.atomic():
        ids = list(answers) + [d.pk for d in stray]
        notifications = {
            n.pk: n
            for n in Notification.objects.select_for_update(of=("self",))
            .select_related("notification_type")
            .filter(pk__in=Delivery.objects.filter(pk__in=ids).values("notification_id"))
            .order_by("pk")
        }
        deliveries = {d.pk: d for d in Delivery.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        for d in stray:  # reconciling with no attempt at all (cannot happen in order): send it
            if deliveries[d.pk].status == Delivery.Status.RECONCILING:
                delivery_set_status(deliveries[d.pk], Delivery.Status.PENDING, send_after=now)
                follow_up.append(deliveries[d.pk])
        touched = []
        for delivery_id, (attempts, answer) in answers.items():
            delivery = deliveries[delivery_id]
            if delivery.status != Delivery.Status.RECONCILING:
                continue  # a receipt or a late answer settled it meanwhile
            notification = notifications[delivery.notification_id]
            next_step = _act(delivery, notification, attempts, answer, now=now)
            if next_step is not None:
                follow_up.append(next_step)
            touched.append(notification)
        notifications_refresh_status(touched)
    return follow_up


def _act(delivery, notification, attempts, answer: Reconciliation, *, now) -> Delivery | None:
    """Move one locked reconciling delivery on from its provider's answer."""
    unresolved = _unresolved(attempts)
    provider = provider_named(delivery.channel, (unresolved or attempts)[-1].provider)
    if answer.found == Found.FOUND:
        _resolve(unresolved, DeliveryAttempt.Resolution.FOUND, now=now, accepted_id=answer.provider_message_id)
        copies = f"the provider holds {answer.copies} copies" if answer.copies > 1 else ""
        sent_at = (unresolved[-1].finished_at if unresolved else None) or now
        delivery_set_status(
            delivery,
            Delivery.Status.DELIVERED if answer.delivered else Delivery.Status.SENT,
            sent_at=sent_at,
            provider_message_id=answer.provider_message_id[:200],
            error=copies,
            **({"delivered_at": sent_at} if answer.delivered else {}),
        )
        return None
    if answer.found == Found.UNAVAILABLE:
        since = max((a.finished_at or a.started_at for a in unresolved or attempts), default=now)
        waited = (now - since).total_seconds()
        if waited > settings.RECONCILE_GIVE_UP_SECONDS:
            delivery_set_status(
                delivery,
                Delivery.Status.DEAD,
                error=(
                    f"outcome unknown: the provider's look-up failed for {waited / 3600:.1f} h ({answer.error_text}); "
                    "check with the provider before requeueing"
                )[:2000],
            )
            return None
        _ask_again(
            delivery,
            at=now + timezone.timedelta(seconds=min(300.0, max(5.0, waited / 2))),
            error=f"look-up failed: {answer.error_text}",
        )
        return delivery
    # Not found, or the provider cannot be asked: conclusive once it has settled.
    ended = max((a.finished_at or a.started_at for a in unresolved), default=now)
    settled = inflight.settled_at(provider, ended_at=ended)
    if now < settled:
        _ask_again(delivery, at=settled)
        return delivery
    _resolve(unresolved, DeliveryAttempt.Resolution.NOT_FOUND, now=now)
    error = "outcome unknown, and not found at the provider after it settled"
    if delivery.attempt_count - delivery.retry_floor < settings.DELIVERY_MAX_ATTEMPTS:
        delivery_set_status(delivery, Delivery.Status.PENDING, send_after=now, error=error)  # again, same reference
        return delivery
    return delivery_fail(delivery=delivery, notification=notification, error=error)


def _ask_again(delivery: Delivery, *, at, error: str = "") -> None:
    delivery.send_after, fields = at, ["send_after", "updated_at"]
    if error:
        delivery.error = error[:2000]
        fields.append("error")
    delivery.save(update_fields=fields)


def _resolve(attempts: list[DeliveryAttempt], resolution: str, *, now, accepted_id: str = "") -> None:
    for a in attempts:
        a.resolution, a.resolved_at = resolution, now
    if accepted_id and attempts:
        attempts[-1].outcome, attempts[-1].provider_message_id = DeliveryAttempt.Outcome.ACCEPTED, accepted_id[:200]
    update_rows(attempts, ["resolution", "resolved_at", "outcome", "provider_message_id"])


def attempts_settle_by_receipt(*, delivery: Delivery, provider_message_id: str, now) -> None:
    """A receipt for a delivery whose send's outcome was unknown (or still in flight): the
    message did arrive at the provider."""
    unresolved = list(
        DeliveryAttempt.objects.filter(
            delivery=delivery, outcome=DeliveryAttempt.Outcome.UNKNOWN, resolution=""
        ).order_by("number")
    )
    _resolve(unresolved, DeliveryAttempt.Resolution.RECEIPT, now=now, accepted_id=provider_message_id)
