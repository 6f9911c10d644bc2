"""Customers as recipients: brands, contact points and their validation (and, as it grows,
consent, per-type channel choices, language, quiet hours, digests and the preference center)."""
