"""Inventory: products/SKUs, stock levels, backorder restock ETAs and back-in-stock subscriptions."""
