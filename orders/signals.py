"""Domain signals of the orders app, sent by transition services inside their transaction.

Receivers get ``instance``, ``from_status`` (``None`` for a creation), ``to_status`` and ``actor``.
"""

from django.dispatch import Signal

order_status_changed = Signal()
shipment_status_changed = Signal()
# Sent when an order line's backorder state moves (backordered / allocated / cancelled).
order_line_backorder_changed = Signal()
