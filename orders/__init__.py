"""Orders: sales channels, orders and lines, shipments and carrier tracking events."""
