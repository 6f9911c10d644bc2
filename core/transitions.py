"""The one way a status changes: allowed-transitions map, row lock, ``update_fields`` save,
audit row and the domain signal, all inside one transaction.

Each app wraps these in its own ``<entity>_transition`` services:

- :func:`transition` moves one row: it takes the row lock itself;
- :func:`transition_locked` moves one row the caller locked already in its transaction;
- :func:`transition_many` moves a batch set-wise: one locking read, the map checked per row, one
  write (``core.bulk.update_rows``) and one insert of the audit rows, whatever the batch's size;
  :func:`transition_rows` is the same for rows the caller locked already.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.transaction import TransactionManagementError
from django.dispatch import Signal
from django.utils import timezone

from core.audit import AuditAction
from core.bulk import update_rows
from core.models import AuditLog


class InvalidTransition(Exception):
    """A move the allowed-transitions map forbids; nothing was changed."""

    def __init__(self, *, entity: str, current: str, target: str, allowed: list[str]):
        self.entity, self.current, self.target, self.allowed = entity, current, target, allowed
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(f"Cannot move {entity} from '{current}' to '{target}'. Allowed next states: {allowed_text}.")


@dataclass(frozen=True)
class StateMachine:
    """The allowed moves of one field (``status`` unless named), and what its audit rows say."""

    entity: str
    transitions: dict[str, frozenset[str]]
    field: str = "status"
    action: AuditAction = AuditAction.STATUS_CHANGED

    def allowed_from(self, state: str) -> list[str]:
        return sorted(self.transitions.get(state, ()))

    def check(self, current: str, target: str) -> None:
        if target not in self.transitions.get(current, ()):
            raise InvalidTransition(
                entity=self.entity, current=current, target=target, allowed=self.allowed_from(current)
            )


def machine(
    entity: str,
    spec: dict[str, set[str] | list[str]],
    field: str = "status",
    action: AuditAction = AuditAction.STATUS_CHANGED,
) -> StateMachine:
    return StateMachine(
        entity=entity, transitions={k: frozenset(v) for k, v in spec.items()}, field=field, action=action
    )


def _audit_row(
    *, obj: models.Model, action: AuditAction, from_state="", to_state="", actor="", reason="", data=None
) -> AuditLog:
    return AuditLog(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        action=AuditAction(action),  # a word not on the list is refused here
        from_state=from_state or "",
        to_state=to_state or "",
        actor=actor or "system",
        reason=reason or "",
        data=data or {},
    )


def audit(
    *, obj: models.Model, action: AuditAction, from_state="", to_state="", actor="", reason="", data=None
) -> AuditLog:
    """Write one audit row about ``obj``."""
    row = _audit_row(
        obj=obj, action=action, from_state=from_state, to_state=to_state, actor=actor, reason=reason, data=data
    )
    row.save(force_insert=True)
    return row


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("A transition of locked rows runs inside the transaction that locked them.")


def _stamp_fields(model: type[models.Model]) -> list[str]:
    """The fields a status change stamps with its time: ``status_changed_at`` and ``auto_now`` ones."""
    return [
        f.name for f in model._meta.concrete_fields if f.name == "status_changed_at" or getattr(f, "auto_now", False)
    ]


def transition_locked(
    obj: models.Model,
    *,
    sm: StateMachine,
    target: str,
    signal: Signal | None = None,
    actor: str = "",
    reason: str = "",
    changes: dict | None = None,
    signal_kwargs: dict | None = None,
    action: AuditAction | None = None,
    data: dict | None = None,
) -> models.Model:
    """Move ``obj``, which the caller locked (``select_for_update``) in the open transaction, to
    ``target``: the map checked, the status, ``changes`` and its time stamps saved with
    ``update_fields``, one audit row (``action``, else the machine's), then ``signal`` if any.
    Raises :class:`InvalidTransition` (and changes nothing) when the map forbids the move."""
    _require_transaction()
    current = getattr(obj, sm.field)
    sm.check(current, target)
    setattr(obj, sm.field, target)
    fields = [sm.field]
    for name, value in (changes or {}).items():
        setattr(obj, name, value)
        fields.append(name)
    now = timezone.now()
    for name in _stamp_fields(type(obj)):
        if name not in fields:
            setattr(obj, name, now)
            fields.append(name)
    obj.save(update_fields=fields)
    audit(
        obj=obj, action=action or sm.action, from_state=current, to_state=target, actor=actor, reason=reason, data=data
    )
    if signal is not None:
        signal.send(
            sender=type(obj),
            instance=obj,
            from_status=current,
            to_status=target,
            actor=actor,
            **(signal_kwargs or {}),
        )
    return obj


def transition(
    *,
    model: type[models.Model],
    pk,
    sm: StateMachine,
    target: str,
    signal: Signal | None = None,
    actor: str = "",
    reason: str = "",
    changes: dict | None = None,
    signal_kwargs: dict | None = None,
    action: AuditAction | None = None,
    data: dict | None = None,
):
    """Lock row ``pk`` of ``model`` and move it to ``target`` (:func:`transition_locked`); returns
    the locked, updated instance. ``changes`` are extra field values saved with the status (e.g.
    a refund amount)."""
    with transaction.atomic():
        obj = model.objects.select_for_update().get(pk=pk)
        return transition_locked(
            obj,
            sm=sm,
            target=target,
            signal=signal,
            actor=actor,
            reason=reason,
            changes=changes,
            signal_kwargs=signal_kwargs,
            action=action,
            data=data,
        )


PerRow = Callable[[models.Model], object]


def _of(value, row):
    return value(row) if callable(value) else value


def transition_rows(
    rows: Iterable[models.Model],
    *,
    sm: StateMachine,
    target: str | PerRow,
    actor: str = "",
    reason: str | PerRow = "",
    changes: dict | PerRow | None = None,
    data: dict | PerRow | None = None,
    action: AuditAction | None = None,
    record: bool = True,
    signal: Signal | None = None,
) -> list[models.Model]:
    """Move rows of one model, which the caller locked in the open transaction, set-wise.

    ``target``, ``reason``, ``changes`` (extra field values, the same fields for every row) and
    ``data`` (the audit row's) are values or functions of the row. A row already at its target is
    left as it is. Every move is checked against the map before anything is written: a forbidden
    one raises :class:`InvalidTransition` and changes nothing. The moved rows are saved in one
    ``update_rows`` (status, changes, time stamps) and, with ``record``, their audit rows in one
    insert; ``signal`` is sent per moved row. Returns the moved rows."""
    _require_transaction()
    moves = []
    for row in rows:
        current, to = getattr(row, sm.field), _of(target, row)
        if to != current:
            sm.check(current, to)
            moves.append((row, current, to))
    if not moves:
        return []
    model = type(moves[0][0])
    meta, now = model._meta, timezone.now()
    stamps = _stamp_fields(model)
    names: list[str] | None = None
    for row, _current, to in moves:
        setattr(row, sm.field, to)
        extra = _of(changes, row) or {}
        if names is None:
            names = list(extra)
        elif set(extra) != set(names):
            raise ValueError("changes must name the same fields for every row")
        for name, value in extra.items():
            setattr(row, name, value)
        for name in stamps:
            if name not in extra:
                setattr(row, name, now)
    fields = [sm.field, *(names or ()), *(s for s in stamps if s not in (names or ()))]
    moved = [row for row, _, _ in moves]
    update_rows(moved, [meta.get_field(name).attname for name in fields])
    if record:
        AuditLog.objects.bulk_create(
            [
                _audit_row(
                    obj=row,
                    action=action or sm.action,
                    from_state=current,
                    to_state=to,
                    actor=actor,
                    reason=_of(reason, row),
                    data=_of(data, row),
                )
                for row, current, to in moves
            ]
        )
    if signal is not None:
        for row, current, to in moves:
            signal.send(sender=model, instance=row, from_status=current, to_status=to, actor=actor)
    return moved


def transition_many(
    *, model: type[models.Model], pks: Iterable, sm: StateMachine, target: str | PerRow, **kwargs
) -> list[models.Model]:
    """Lock rows ``pks`` of ``model`` in one read (in key order) and move them set-wise
    (:func:`transition_rows`, whose keyword arguments it takes). Returns the moved rows."""
    with transaction.atomic():
        rows = list(model.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk"))
        return transition_rows(rows, sm=sm, target=target, **kwargs)
