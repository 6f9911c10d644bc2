"""Shared building blocks of the domain apps: the status-transition helper and its audit trail,
partner API access (tokens, channel scoping, idempotency keys) and health checks."""
