"""``manage.py add_sales_channel``: create a sales channel with its webhook secret and print the
URL to paste into the shop's webhook settings (from ``settings.SITE_URL``)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from customers.models import Brand, SalesChannel
from intake.services import sales_channel_add
from intake.webhooks import webhook_path


class Command(BaseCommand):
    help = "Create a sales channel (Shopify, WooCommerce or marketplace) and print its webhook URL."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=["shopify", "woocommerce", "marketplace"])
        parser.add_argument("--brand", required=True, help="Brand slug (or exact name)")
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", default="", help="Defaults to the slugified name")
        parser.add_argument("--secret", default="", help="The webhook signing secret the shop uses")

    def handle(self, *, kind, brand, name, slug, secret, **options):
        brand_row = Brand.objects.filter(slug=brand).first() or Brand.objects.filter(name=brand).first()
        if brand_row is None:
            raise CommandError(
                f"No brand '{brand}'. Known: {', '.join(Brand.objects.values_list('slug', flat=True)) or 'none'}."
            )
        slug = slug or slugify(name)
        if SalesChannel.objects.filter(slug=slug).exists():
            raise CommandError(f"A sales channel with slug '{slug}' already exists.")
        if kind in ("shopify", "woocommerce") and not secret:
            raise CommandError(f"--secret is required for {kind}: webhooks are verified with it.")
        channel = sales_channel_add(
            brand=brand_row, name=name, slug=slug, kind=kind, webhook_secret=secret, actor="system:add_sales_channel"
        )
        path = webhook_path(channel)
        self.stderr.write(f"Created {kind} channel '{channel.name}' ({channel.slug}) for brand {brand_row.slug}.")
        if path:
            self.stdout.write(f"{settings.SITE_URL}{path}")
        else:
            self.stdout.write(
                f"{settings.SITE_URL}/api/v1/intake/marketplace/ (POST the report with "
                f"sales_channel={channel.slug}, or upload it in the admin)"
            )
