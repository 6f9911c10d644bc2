"""``manage.py add_partner``: create a partner (or rotate its token) from the shell.

The token is the only thing written to stdout, so scripts can capture it
(``TOKEN=$(python manage.py add_partner --name shop --channels web)``); the summary goes to stderr.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers.models import SalesChannel
from partners.models import Partner
from partners.services import partner_create, partner_token_rotate


class Command(BaseCommand):
    help = "Create an API partner allowed on the given sales channels and print its token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Unique partner name")
        parser.add_argument("--channels", default="", help="Sales channel slugs, comma separated: web,marketplace")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Issue a new token for the existing partner NAME (the old token stops working)",
        )

    def handle(self, *, name, channels, rotate, **options):
        actor = "system:add_partner"
        if rotate:
            if channels:
                raise CommandError("--channels cannot be combined with --rotate (change channels in the admin).")
            partner = Partner.objects.filter(name=name).first()
            if partner is None:
                raise CommandError(f"No partner named '{name}'.")
            raw = partner_token_rotate(partner=partner, actor=actor)
            self.stderr.write(f"New token for partner '{name}' (the old one no longer works). Store it now:")
            self.stdout.write(raw)
            return
        slugs = [s.strip() for s in channels.split(",") if s.strip()]
        if not slugs:
            raise CommandError("Give at least one sales channel: --channels SLUG[,SLUG].")
        found = {c.slug: c for c in SalesChannel.objects.filter(slug__in=slugs)}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            known = ", ".join(SalesChannel.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown sales channel slug(s): {', '.join(unknown)}. Known: {known}.")
        if Partner.objects.filter(name=name).exists():
            raise CommandError(f"A partner named '{name}' already exists (use --rotate for a new token).")
        try:
            partner, raw = partner_create(name=name, sales_channels=found.values(), actor=actor)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created partner '{partner.name}' for channels: {', '.join(sorted(found))}. "
            "Its token follows; it is shown only once:"
        )
        self.stdout.write(raw)
