"""Notifications: events (the outbox), rules, templates, planning, deliveries and attempts,
channels and providers, webhooks, tasks and KPI dashboards."""
