"""Order intake adapters: one module per source behind ``base.IntakeAdapter``. Each turns its
source's payload into Waypost's customers, orders, lines and shipments through the domain
services; ``get_adapter(kind)`` finds one (modules listed in ``settings.INTAKE_ADAPTER_MODULES``)."""

from intake.sources.base import IntakeAdapter, IntakeDeferred, IntakeRejected, Issue, Outcome, get_adapter

__all__ = ["IntakeAdapter", "IntakeDeferred", "IntakeRejected", "Issue", "Outcome", "get_adapter"]
