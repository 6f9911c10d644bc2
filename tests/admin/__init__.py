"""Admin tests: every page renders, status changes go through the services."""
