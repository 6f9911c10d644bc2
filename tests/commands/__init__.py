"""Management command tests: add_partner and load_demo."""
