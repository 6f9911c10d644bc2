"""Domain signals of the inventory app, sent inside the stock update's transaction."""

from django.dispatch import Signal

# instance (StockLevel), previous_available, available, crossed (list of StockThreshold values), actor
stock_level_changed = Signal()
