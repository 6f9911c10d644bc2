"""Carrier tracking adapters: one module per carrier format behind ``base.CarrierAdapter``.
``get_adapter(name)`` finds one; the modules in ``settings.CARRIER_ADAPTER_MODULES`` register
themselves on import, so a new carrier format is one module and one settings entry."""

from intake.carriers.base import (
    CarrierAdapter,
    CarrierEvent,
    TransientCarrierError,
    get_adapter,
    registered_adapters,
)

__all__ = ["CarrierAdapter", "CarrierEvent", "TransientCarrierError", "get_adapter", "registered_adapters"]
