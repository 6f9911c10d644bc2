"""The one way a status changes: allowed-transitions map, row lock, ``update_fields`` save,
audit row and the domain signal, all inside one transaction.

Each domain app wraps :func:`transition` in its own ``<entity>_transition`` service.
"""
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.dispatch import Signal

from core.models import AuditLog


class InvalidTransition(Exception):
    """A move the allowed-transitions map forbids; nothing was changed."""

    def __init__(self, *, entity: str, current: str, target: str, allowed: list[str]):
        self.entity, self.current, self.target, self.allowed = entity, current, target, allowed
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"Cannot move {entity} from '{current}' to '{target}'. Allowed next states: {allowed_text}."
        )


@dataclass(frozen=True)
class StateMachine:
    entity: str
    transitions: dict[str, frozenset[str]]
    field: str = "status"

    def allowed_from(self, state: str) -> list[str]:
        return sorted(self.transitions.get(state, ()))

    def check(self, current: str, target: str) -> None:
        if target not in self.transitions.get(current, ()):
            raise InvalidTransition(
                entity=self.entity, current=current, target=target, allowed=self.allowed_from(current)
            )


def machine(entity: str, spec: dict[str, set[str] | list[str]], field: str = "status") -> StateMachine:
    return StateMachine(entity=entity, transitions={k: frozenset(v) for k, v in spec.items()}, field=field)


def audit(*, obj: models.Model, action: str, from_state="", to_state="", actor="", reason="", data=None):
    return AuditLog.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        actor=actor or "system",
        reason=reason or "",
        data=data or {},
    )


def transition(
    *,
    model: type[models.Model],
    pk,
    sm: StateMachine,
    target: str,
    signal: Signal,
    actor: str = "",
    reason: str = "",
    changes: dict | None = None,
    signal_kwargs: dict | None = None,
):
    """Move row ``pk`` of ``model`` to ``target``; returns the locked, updated instance.

    ``changes`` are extra field values saved with the status (e.g. a refund amount).
    Raises :class:`InvalidTransition` (and changes nothing) when the map forbids the move.
    """
    with transaction.atomic():
        obj = model.objects.select_for_update().get(pk=pk)
        current = getattr(obj, sm.field)
        sm.check(current, target)
        setattr(obj, sm.field, target)
        fields = [sm.field]
        for name, value in (changes or {}).items():
            setattr(obj, name, value)
            fields.append(name)
        if hasattr(obj, "status_changed_at"):
            from django.utils import timezone

            obj.status_changed_at = timezone.now()
            fields.append("status_changed_at")
        obj.save(update_fields=fields)
        audit(obj=obj, action=f"{sm.field}_changed", from_state=current, to_state=target, actor=actor, reason=reason)
        signal.send(
            sender=model, instance=obj, from_status=current, to_status=target, actor=actor,
            **(signal_kwargs or {}),
        )
        return obj
