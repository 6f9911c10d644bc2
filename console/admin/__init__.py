"""The console's admin pages: the pipeline's records as agents read them, and the customer page."""

from console.admin import catalogue, customers, deliveries, pipeline, replies  # noqa: F401  (registers the admins)
