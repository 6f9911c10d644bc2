"""``manage.py install_catalogue``: install the shipped notification types, rules and message copy
that are missing (``catalogue/copy/``); a merchant's edits are never overwritten."""

from django.core.management.base import BaseCommand

from catalogue.shipped import ensure_catalogue


class Command(BaseCommand):
    help = "Install the shipped notification types, rules and templates that are missing."

    def handle(self, *args, **options):
        created = ensure_catalogue()
        self.stdout.write(", ".join(f"{n} {what} installed" for what, n in created.items()))
