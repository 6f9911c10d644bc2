"""Intake services: store every payload raw before it is acknowledged, process it through its
source's adapter (idempotently, once), dead-letter what fails with its impact score, replay
after an agent's fix; and carrier tracking: carrier codes mapped to statuses and recorded
through ``shipment_event_record``, and carriers polled behind a circuit breaker. A record's status
moves only through ``intake_record_transition`` (``INTAKE_MACHINE``, audited)."""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import AuditAction
from core.bounds import in_bounds
from core.guard import without_nul
from core.publishing import publish
from core.transitions import InvalidTransition, audit, machine, transition_locked
from customers.models import SalesChannel
from intake.models import CarrierAccount, CarrierStatusMapping, IntakeRecord
from intake.selectors import carrier_event_shipments
from intake.sources.base import IntakeDeferred, IntakeRejected, Issue, Outcome, get_adapter
from intake.sources.profiles import OrderDraft, validate_order
from orders.models import Order, Shipment, ShipmentEvent
from orders.services import LineInput, order_receive, order_transition, shipment_event_record

log = logging.getLogger(__name__)
DONE = {IntakeRecord.Status.PROCESSED, IntakeRecord.Status.WARNING, IntakeRecord.Status.RESOLVED}
FINAL_SHIPMENT = {Shipment.Status.DELIVERED, Shipment.Status.RETURNED_TO_SENDER}


INTAKE_MACHINE = machine(
    "intake record",
    {
        # Processed (with warnings or not), a dead letter, or resolved by an agent's replay.
        IntakeRecord.Status.RECEIVED: {
            IntakeRecord.Status.PROCESSED,
            IntakeRecord.Status.WARNING,
            IntakeRecord.Status.FAILED,
            IntakeRecord.Status.RESOLVED,
        },
        IntakeRecord.Status.FAILED: {IntakeRecord.Status.RESOLVED},  # replayed after a fix
        IntakeRecord.Status.PROCESSED: set(),
        IntakeRecord.Status.WARNING: set(),
        IntakeRecord.Status.RESOLVED: set(),
    },
)
# What processing leaves on a record, saved with its move.
_WORK_FIELDS = (
    "attempts",
    "warnings",
    "errors",
    "result",
    "processed_at",
    "impact_score",
    "resolved_at",
    "resolved_by",
)


def intake_record_transition(
    *, record: IntakeRecord, to_status: str, actor: str, reason: str = "", **changes
) -> IntakeRecord:
    """Move a record the caller locked through ``INTAKE_MACHINE``, saving ``changes`` with it,
    audited (a dead letter's resolution as ``intake_resolved``)."""
    action = AuditAction.INTAKE_RESOLVED if to_status == IntakeRecord.Status.RESOLVED else None
    return transition_locked(
        record, sm=INTAKE_MACHINE, target=to_status, actor=actor, reason=reason, changes=changes, action=action
    )


# --- Receiving --------------------------------------------------------------------------------


def _enqueue(record_ids: list[int]) -> None:
    from intake.tasks import process_intake_record

    def send():
        for pk in record_ids:
            if not publish(process_intake_record, (pk,)):
                return  # the broker is away: sweep_intake queues the records later

    transaction.on_commit(send)


def intake_record_receive(
    *,
    kind: str,
    source: str,
    raw_body: bytes | str,
    payload,
    topic: str = "",
    headers: dict | None = None,
    sales_channel: SalesChannel | None = None,
    carrier: str = "",
    delivery_id: str | None = None,
) -> tuple[IntakeRecord, bool]:
    """Store one payload as received and queue its processing on commit. A repeat of a delivery
    the source already sent (same ``delivery_id``) is stored once: ``(first, False)``."""
    body = raw_body.decode("utf-8", errors="replace") if isinstance(raw_body, bytes) else raw_body
    payload = without_nul(payload)  # the raw body keeps them
    if delivery_id:
        existing = IntakeRecord.objects.filter(source=source, delivery_id=delivery_id).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            record = IntakeRecord.objects.create(
                kind=kind,
                source=source,
                topic=topic,
                sales_channel=sales_channel,
                carrier=carrier,
                delivery_id=delivery_id or None,
                raw_body=body,
                headers=headers or {},
                payload=payload,
            )
            _enqueue([record.pk])
    except IntegrityError:
        existing = IntakeRecord.objects.filter(source=source, delivery_id=delivery_id).first()
        if existing is None:
            raise
        return existing, False
    return record, True


def intake_file_receive(
    *, sales_channel: SalesChannel, content: bytes, filename: str = "", actor: str = ""
) -> list[IntakeRecord]:
    """A marketplace report (CSV or JSON): one record per order in it, all stored in one
    transaction. Raises ValidationError when the file cannot be read at all."""
    adapter = get_adapter("marketplace")
    try:
        parts = adapter.split(body=content, filename=filename)
    except ValueError as exc:
        raise ValidationError({"file": [str(exc)]}) from exc
    source = f"marketplace:{sales_channel.slug}"
    with transaction.atomic():
        records = [
            IntakeRecord.objects.create(
                kind="marketplace",
                source=source,
                topic=topic,
                sales_channel=sales_channel,
                raw_body=_json(payload),
                headers={"filename": filename, "actor": actor},
                payload=payload,
            )
            for topic, payload in parts
        ]
        _enqueue([r.pk for r in records])
    return records


def _json(payload) -> str:
    import json

    return json.dumps(payload, ensure_ascii=False, default=str)


# --- Processing -------------------------------------------------------------------------------


def intake_record_process(*, record_id: int, actor: str = "system:intake", replay: bool = False) -> IntakeRecord:
    """Process one record through its adapter. Safe to call twice: a record already processed
    is returned untouched. Failures are stored on the record (never raised): a rejection is a
    dead letter at once, a deferral (or an unexpected error) is retried by the sweeper until
    ``INTAKE_MAX_ATTEMPTS``. The outcome is saved with the record's move (``INTAKE_MACHINE``)."""
    with transaction.atomic():
        record = IntakeRecord.objects.select_for_update().get(pk=record_id)
        if record.status in DONE or (record.status == IntakeRecord.Status.FAILED and not replay):
            return record
        last_try = record.attempts + 1 >= settings.INTAKE_MAX_ATTEMPTS or replay
        record.attempts += 1
        adapter = get_adapter(record.kind)
        try:
            with transaction.atomic():
                outcome = adapter.process(record=record, actor=actor)
        except IntakeDeferred as exc:
            target = _failed(record, exc.issues, final=last_try)
        except IntakeRejected as exc:
            target = _failed(record, exc.issues, final=True)
        except InvalidTransition as exc:
            target = _failed(record, [Issue("status", "invalid_transition", str(exc))], final=True)
        except ValidationError as exc:
            issues = (
                [Issue(f, "invalid", " ".join(m)) for f, m in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else [Issue("", "invalid", " ".join(exc.messages))]
            )
            target = _failed(record, issues, final=True)
        except Exception as exc:  # unexpected: keep it for a retry, then dead-letter it
            log.exception("intake record %s failed", record.pk)
            target = _failed(
                record, [Issue("", "unexpected_error", f"{exc.__class__.__name__}: {exc}"[:500])], final=last_try
            )
        else:
            record.warnings = [w.as_dict() for w in outcome.warnings]
            record.errors = []
            record.result = outcome.result
            record.processed_at = timezone.now()
            if record.status == IntakeRecord.Status.FAILED or replay:
                target = IntakeRecord.Status.RESOLVED
                record.resolved_at, record.resolved_by = timezone.now(), actor
            else:
                target = IntakeRecord.Status.WARNING if outcome.warnings else IntakeRecord.Status.PROCESSED
        work = {name: getattr(record, name) for name in _WORK_FIELDS}
        if target == record.status:  # waits for the sweeper's next try, or a dead letter failed again
            record.save(update_fields=list(work))
            return record
        return intake_record_transition(
            record=record,
            to_status=target,
            actor=actor,
            reason=record.reason if target == IntakeRecord.Status.FAILED else "",
            **work,
        )


def _failed(record: IntakeRecord, issues: list[Issue], *, final: bool) -> str:
    """Keep the issues on the record; returns where it goes: failed (a dead letter, with its
    impact score) when ``final``, else where it is (waiting for the sweeper)."""
    record.errors = [i.as_dict() for i in issues]
    if not final:
        return record.status
    record.impact_score = impact_score(record=record)
    return IntakeRecord.Status.FAILED


def intake_record_update_payload(*, record: IntakeRecord, payload, actor: str) -> IntakeRecord:
    """An agent's fix of a dead letter's working copy (the raw body stays as received)."""
    with transaction.atomic():
        record = IntakeRecord.objects.select_for_update().get(pk=record.pk)
        if record.status in DONE:
            raise ValidationError("This record was processed; its payload can no longer change.")
        record.payload = payload
        record.save(update_fields=["payload"])
        audit(obj=record, action=AuditAction.INTAKE_PAYLOAD_EDITED, actor=actor)
    return record


def intake_record_replay(*, record: IntakeRecord, actor: str, payload=None) -> IntakeRecord:
    """Process a dead letter again (after an optional payload fix); success marks it resolved."""
    if payload is not None:
        intake_record_update_payload(record=record, payload=payload, actor=actor)
    return intake_record_process(record_id=record.pk, actor=actor, replay=True)


def intake_records_replay(*, records, actor: str) -> dict[str, int]:
    counts = {"resolved": 0, "failed": 0, "skipped": 0}
    for record in records:
        if record.status != IntakeRecord.Status.FAILED:
            counts["skipped"] += 1
            continue
        done = intake_record_replay(record=record, actor=actor)
        counts["resolved" if done.status == IntakeRecord.Status.RESOLVED else "failed"] += 1
    return counts


def impact_score(*, record: IntakeRecord) -> int:
    """Most costly first: the order's value, x2 for a VIP customer, +500 when a shipment is
    already moving (the customer is waiting for tracking news now)."""
    from customers.models import Customer

    try:
        facts = get_adapter(record.kind).impact(record=record)
    except Exception:  # a payload bad enough to fail may be bad enough to fail here too
        facts = {}
    value = min(Decimal(str(facts.get("value") or 0)), Decimal("100000"))
    customer = None
    if record.sales_channel_id and facts.get("customer_external_id"):
        customer = Customer.objects.filter(
            identities__sales_channel_id=record.sales_channel_id,
            identities__external_id=str(facts["customer_external_id"]),
        ).first()
    if customer is None and record.sales_channel_id and facts.get("email"):
        customer = Customer.objects.filter(brand_id=record.sales_channel.brand_id, email__iexact=facts["email"]).first()
    score = int(value) * (2 if customer is not None and customer.tier == "vip" else 1)
    if facts.get("in_transit"):
        score += 500
    return score


# --- Helpers adapters share ----------------------------------------------------------------------


def order_draft_receive(*, channel: SalesChannel, draft: OrderDraft, actor: str) -> tuple[Order, Outcome]:
    """Validate a draft with the channel's profile and take the order in (a duplicate is a no-op)."""
    fields, warnings = validate_order(channel=channel, draft=draft)
    lines = [LineInput(**line) for line in fields.pop("lines")]
    order, created = order_receive(
        sales_channel=channel,
        external_id=fields.pop("external_id"),
        customer_data=fields.pop("customer_data"),
        lines=lines,
        actor=actor,
        **{k: v for k, v in fields.items() if v is not None},
    )
    result = {"order_id": order.pk, "created": created}
    if not created:
        result["duplicate"] = True
    return order, Outcome(warnings=warnings if created else [], result=result)


def order_cancel_from_source(*, order: Order, actor: str, reason: str) -> bool:
    """Cancel an order a source says is cancelled (a no-op when it already is)."""
    if order.status == Order.Status.CANCELLED:
        return False
    try:
        order_transition(order=order, to_status=Order.Status.CANCELLED, actor=actor, reason=reason)
    except InvalidTransition as exc:
        raise IntakeRejected([Issue("status", "order_not_cancellable", str(exc))]) from exc
    return True


# --- Carrier tracking -------------------------------------------------------------------------


def carrier_status_for(*, keys: list[str], code: str) -> str | None:
    """The Waypost status a carrier code means: the admin-editable mapping for the first key
    that has one (carrier slug, then adapter name), else the adapter's built-in default.
    ``""`` means known and ignored; ``None`` means unknown."""
    from intake.carriers import registered_adapters

    rows = dict(CarrierStatusMapping.objects.filter(carrier__in=keys, code=code).values_list("carrier", "status"))
    for key in keys:
        if key in rows:
            return rows[key]
    adapters = registered_adapters()
    for key in keys:
        if key in adapters and code in adapters[key].default_mappings:
            return adapters[key].default_mappings[code]
    return None


@dataclass
class Applied:
    outcome: str  # applied, stored (not applied), duplicate, ignored
    event: ShipmentEvent | None = None
    delayed: bool = False


def carrier_event_receive(*, shipment: Shipment, event, mapping_keys: list[str], actor: str) -> Applied:
    """Take in one carrier event for ``shipment``: its code maps (per carrier, editable in the
    admin) to a status, unmapped codes change nothing; ``shipment_event_record`` does the rest
    (dedupe, late and not-allowed events stored unapplied, ETA slips). An event whose times are
    out of bounds (``core.bounds``: before 2000, a scan more than a day ahead) changes nothing."""
    status = carrier_status_for(keys=mapping_keys, code=event.code)
    if not status or not in_bounds(event.occurred_at, past=True) or not in_bounds(event.estimated_delivery):
        return Applied("ignored")
    raw = event.raw if isinstance(event.raw, dict) else {"raw": event.raw}
    recorded = shipment_event_record(
        shipment=shipment,
        status=status,
        occurred_at=event.occurred_at,
        carrier_code=event.code,
        description=event.description,
        location=event.location,
        estimated_delivery=event.estimated_delivery,
        raw=raw,
        actor=actor,
        store_not_allowed=True,
    )
    if not recorded.created:
        return Applied("duplicate", recorded.event)
    outcome = "applied" if recorded.event.applied else "stored"
    return Applied(outcome, recorded.event, recorded.delayed)


def carrier_events_receive(*, account: CarrierAccount, events, actor: str) -> dict[str, int]:
    """Apply a batch of a carrier's events to the shipments they name (unknown numbers skipped).
    Status codes are read in the account's vocabulary (its carrier's, then its adapter's mapping)."""
    counts = {"applied": 0, "stored": 0, "duplicate": 0, "ignored": 0, "unknown_shipment": 0, "delayed": 0}
    shipment_of = carrier_event_shipments(account=account, events=events)
    keys = [account.carrier, account.adapter]
    for event in sorted(events, key=lambda e: e.occurred_at):
        shipment = shipment_of(event)
        if shipment is None:
            counts["unknown_shipment"] += 1
            continue
        applied = carrier_event_receive(shipment=shipment, event=event, mapping_keys=keys, actor=actor)
        counts[applied.outcome] += 1
        counts["delayed"] += int(applied.delayed)
    return counts


def carrier_poll_due(*, account: CarrierAccount, now=None) -> bool:
    now = now or timezone.now()
    if not account.poll_enabled or account.has_webhooks or not account.base_url:
        return False
    if account.circuit_state == CarrierAccount.Circuit.OPEN:
        return now >= account.circuit_opened_at + timedelta(seconds=account.cooldown_seconds)
    return account.last_polled_at is None or now >= account.last_polled_at + timedelta(
        minutes=account.poll_interval_minutes
    )


def _fetch_with_retries(*, adapter, session, account, numbers, sleep):
    import requests

    from intake.carriers.base import TransientCarrierError

    for attempt in range(account.max_retries + 1):
        try:
            return adapter.fetch(session=session, account=account, tracking_numbers=numbers)
        except (requests.Timeout, requests.ConnectionError, TransientCarrierError) as exc:
            if attempt >= account.max_retries:
                raise TransientCarrierError(f"{exc.__class__.__name__}: {exc}") from exc
            wait = account.backoff_seconds * (2**attempt)
            sleep(wait + random.uniform(0, wait / 2))


def carrier_poll(*, account: CarrierAccount, force: bool = False, sleep=time.sleep) -> dict:
    """Poll one carrier for its shipments still moving. Transient failures are retried with
    backoff; ``failure_threshold`` failed polls in a row open the circuit (no polls for
    ``cooldown_seconds``), then one trial poll (half open) closes it again or re-opens it."""
    import requests

    from intake.carriers import get_adapter as carrier_adapter
    from intake.carriers.base import PermanentCarrierError, TransientCarrierError

    now = timezone.now()
    account = CarrierAccount.objects.get(pk=account.pk)
    if not force and not carrier_poll_due(account=account, now=now):
        return {"skipped": True}
    if account.circuit_state == CarrierAccount.Circuit.OPEN:
        account.circuit_state = CarrierAccount.Circuit.HALF_OPEN
    adapter = carrier_adapter(account.adapter)
    numbers = list(
        Shipment.objects.filter(carrier=account.carrier)
        .exclude(status__in=FINAL_SHIPMENT)
        .order_by("id")
        .values_list("tracking_number", flat=True)
    )
    counts = {"applied": 0, "stored": 0, "duplicate": 0, "ignored": 0, "unknown_shipment": 0, "delayed": 0}
    error = ""
    with requests.Session() as session:
        for start in range(0, len(numbers), adapter.batch_size):
            batch = numbers[start : start + adapter.batch_size]
            try:
                events = _fetch_with_retries(
                    adapter=adapter, session=session, account=account, numbers=batch, sleep=sleep
                )
            except (TransientCarrierError, PermanentCarrierError, ValueError, KeyError) as exc:
                error = f"{exc.__class__.__name__}: {exc}"[:1000]
                break
            for name, n in carrier_events_receive(
                account=account, events=events, actor=f"carrier:{account.carrier}"
            ).items():
                counts[name] += n
    account.last_polled_at = now
    if error:
        account.consecutive_failures += 1
        account.last_error = error
        if (
            account.circuit_state == CarrierAccount.Circuit.HALF_OPEN
            or account.consecutive_failures >= account.failure_threshold
        ):
            account.circuit_state, account.circuit_opened_at = CarrierAccount.Circuit.OPEN, now
    else:
        account.consecutive_failures, account.last_error = 0, ""
        account.circuit_state, account.circuit_opened_at = CarrierAccount.Circuit.CLOSED, None
        account.last_success_at = now
    account.save(
        update_fields=[
            "last_polled_at",
            "consecutive_failures",
            "last_error",
            "circuit_state",
            "circuit_opened_at",
            "last_success_at",
        ]
    )
    return {**counts, "error": error, "circuit": account.circuit_state, "polled": len(numbers)}


# --- Channels ---------------------------------------------------------------------------------


def sales_channel_add(
    *, brand, name: str, slug: str, kind: str, webhook_secret: str = "", actor: str = ""
) -> SalesChannel:
    """A sales channel with its intake settings (webhook secret), audited."""
    from intake.models import ChannelIntakeSettings

    with transaction.atomic():
        channel = SalesChannel.objects.create(brand=brand, name=name, slug=slug, kind=kind)
        ChannelIntakeSettings.objects.create(sales_channel=channel, webhook_secret=webhook_secret)
        audit(obj=channel, action=AuditAction.CREATED, actor=actor, data={"kind": kind})
    return channel
