"""Helpers shared by the domain tests: a recorder for domain signals and the audit trail of a row."""

from django.contrib.contenttypes.models import ContentType

from core.models import AuditLog


class SignalRecorder:
    """Records every send of one signal as a dict of its keyword arguments (plus ``sender``)."""

    def __init__(self, signal):
        self.signal = signal
        self.calls: list[dict] = []

    def __call__(self, sender, **kwargs):
        kwargs.pop("signal", None)
        self.calls.append({"sender": sender, **kwargs})

    def transitions(self) -> list[tuple]:
        return [(c["from_status"], c["to_status"]) for c in self.calls]


def audit_rows(obj):
    """The audit rows written about ``obj``, oldest first."""
    return AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    ).order_by("id")
