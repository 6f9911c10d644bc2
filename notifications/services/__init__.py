"""Notification services: planning events into notifications, and dispatching deliveries."""
