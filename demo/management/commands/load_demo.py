"""``manage.py load_demo``: the Northwind Outfitters demo (brand, channels, customers, products,
orders in many states, a return, an admin user, a partner), built through the services.

Idempotent: everything is looked up by a natural key first, and an order's story (shipments,
carrier events, returns) runs only when the order itself was just created. The whole load is one
transaction, so a failed run leaves nothing half-made behind.
"""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from customers.models import Brand, SalesChannel
from customers.services import customer_upsert
from inventory.models import BackInStockSubscription
from inventory.services import product_create, stock_level_update
from orders.models import Order
from orders.services import LineInput, order_create, order_transition, shipment_create, shipment_event_record
from partners.models import Partner
from partners.services import partner_create
from preferences.links import preference_link_for
from returns.services import return_create, return_transition

ACTOR = "system:load_demo"
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "waypost-demo"
PARTNER_NAME = "Northwind demo shop"

BRAND = {
    "slug": "northwind",
    "name": "Northwind Outfitters",
    "primary_color": "#1d4d3a",
    "accent_color": "#e9b44c",
    "sender_email": "orders@northwind.example.com",
    "sender_name": "Northwind Outfitters",
    "sms_sender_id": "NORTHWIND",
    "sms_sender_number": "+15035550100",  # US and Canadian carriers take numeric senders only
    "support_email": "help@northwind.example.com",
    "support_phone": "+12125550100",
    "support_url": "https://northwind.example.com/help",
    "company_address": "100 Harbor Street, Portland, OR 97209, USA",
    "default_language": "en-US",
}

# slug, name, kind
CHANNELS = [
    ("northwind-web", "Northwind web shop", SalesChannel.Kind.WEB),
    ("northwind-marketplace", "Northwind on Marketplace", SalesChannel.Kind.MARKETPLACE),
    ("northwind-pos", "Northwind stores (POS)", SalesChannel.Kind.POS),
]

# sku, name, price, on hand, low-stock threshold, restock in days (None: in stock)
PRODUCTS = [
    ("NW-JKT-01", "Ridgeline rain jacket", "129.00", 24, 5, None),
    ("NW-BT-02", "Trailhead hiking boot", "149.00", 12, 4, None),
    ("NW-SCK-03", "Merino hiking socks (3 pack)", "24.00", 80, 10, None),
    ("NW-PK-04", "Summit 30L daypack", "89.00", 4, 5, None),
    ("NW-TNT-05", "Two-person backpacking tent", "329.00", 0, 2, 14),
    ("NW-BTL-06", "Insulated bottle 750 ml", "29.00", 40, 8, None),
]

# key, channel slug, external id, contact data
CUSTOMERS = [
    (
        "emma",
        "northwind-web",
        "C-1001",
        {
            "name": "Emma Johnson",
            "email": "emma.johnson@example.com",
            "phone": "+12125550147",
            "language": "en-US",
            "time_zone": "America/New_York",
            "country": "US",
        },
    ),
    (
        "sofia",
        "northwind-marketplace",
        "MP-88231",
        {
            "name": "Sofía Hernández",
            "email": "sofia.hernandez@example.com",
            "phone": "+525512345678",
            "language": "es-MX",
            "time_zone": "America/Mexico_City",
            "country": "MX",
        },
    ),
    (
        "camille",
        "northwind-web",
        "C-1002",
        {
            "name": "Camille Dubois",
            "email": "camille.dubois@example.net",
            "phone": "+33612345678",
            "language": "fr-FR",
            "time_zone": "Europe/Paris",
            "country": "FR",
        },
    ),
    (
        "lukas",
        "northwind-web",
        "C-1003",
        {
            "name": "Lukas Schneider",
            "email": "lukas.schneider@example.org",
            "phone": "+4915123456789",
            "language": "de-DE",
            "time_zone": "Europe/Berlin",
            "country": "DE",
        },
    ),
    (
        "michael",
        "northwind-pos",
        "POS-5520",
        {
            "name": "Michael Chen",
            "email": "michael.chen@example.com",
            "phone": "+14155550136",
            "language": "en-US",
            "time_zone": "America/Los_Angeles",
            "country": "US",
            "tier": "vip",
        },
    ),
    (
        "valentina",
        "northwind-marketplace",
        "MP-90417",
        {
            "name": "Valentina Ruiz",
            "email": "valentina.ruiz@example.com",
            "phone": "+528112345678",
            "language": "es-MX",
            "time_zone": "America/Monterrey",
            "country": "MX",
        },
    ),
    (
        "jeanne",
        "northwind-web",
        "C-1004",
        {
            "name": "Jeanne Martin",
            "email": "jeanne.martin@example.net",
            "phone": "+33687654321",
            "language": "fr-FR",
            "time_zone": "Europe/Paris",
            "country": "FR",
        },
    ),
    (
        "anna",
        "northwind-web",
        "C-1005",
        {
            "name": "Anna Müller",
            "email": "anna.mueller@example.org",
            "phone": "+4917612345678",
            "language": "de-DE",
            "time_zone": "Europe/Berlin",
            "country": "DE",
        },
    ),
]
PREFERENCE_DEMO_CUSTOMER = "sofia"


class Command(BaseCommand):
    help = "Load the Northwind Outfitters demo data (idempotent: a second run adds nothing)."

    def handle(self, *args, **options):
        self.now = timezone.now()
        self.created: list[str] = []
        with transaction.atomic():
            brand = self.load_brand()
            channels = self.load_channels(brand)
            products = self.load_products(brand)
            customers = self.load_customers(channels)
            self.load_orders(channels, customers)
            BackInStockSubscription.objects.get_or_create(
                customer=customers["valentina"],
                product=products["NW-TNT-05"],
                defaults={"channel": BackInStockSubscription.Channel.SMS},
            )
            admin_created = self.load_admin()
            partner_token = self.load_partner(channels)
        self.vapid = self.load_vapid_keys()
        self.report(customers, admin_created, partner_token)

    # --- reference data -------------------------------------------------------------------------

    def load_brand(self) -> Brand:
        data = {k: v for k, v in BRAND.items() if k != "slug"}
        data["logo_url"] = f"{settings.SITE_URL}{static('demo/logo.svg')}"
        brand, created = Brand.objects.get_or_create(slug=BRAND["slug"], defaults=data)
        if created:
            self.created.append("brand")
        return brand

    def load_channels(self, brand) -> dict[str, SalesChannel]:
        channels = {}
        for slug, name, kind in CHANNELS:
            channels[slug], created = SalesChannel.objects.get_or_create(
                slug=slug, defaults={"brand": brand, "name": name, "kind": kind}
            )
            if created:
                self.created.append("sales channel(s)")
        return channels

    def load_products(self, brand) -> dict:
        products = {}
        for sku, name, price, on_hand, low, restock_days in PRODUCTS:
            product, created = product_create(brand=brand, sku=sku, name=name, price=Decimal(price))
            products[sku] = product
            if created:
                self.created.append("product(s) with stock")
                eta = (self.now + timedelta(days=restock_days)).date() if restock_days else None
                stock_level_update(
                    product=product,
                    on_hand=on_hand,
                    low_stock_threshold=low,
                    restock_eta=eta,
                    actor=ACTOR,
                    reason="demo stock",
                )
        return products

    def load_customers(self, channels) -> dict:
        customers = {}
        for key, channel_slug, external_id, data in CUSTOMERS:
            customers[key], created = customer_upsert(
                sales_channel=channels[channel_slug], external_id=external_id, data=data, actor=ACTOR
            )
            if created:
                self.created.append("customer(s)")
        return customers

    # --- orders and their stories ---------------------------------------------------------------

    def order(self, channels, customer, channel_slug, external_id, days_ago, lines, **kwargs) -> Order | None:
        """Create the order; None when it already exists (its story was told on an earlier run)."""
        order, created = order_create(
            sales_channel=channels[channel_slug],
            external_id=external_id,
            customer=customer,
            placed_at=self.now - timedelta(days=days_ago),
            actor=ACTOR,
            lines=[
                LineInput(sku=sku, quantity=qty, unit_price=Decimal(price), name=name, backordered=bo)
                for sku, name, qty, price, bo in lines
            ],
            shipping_total=Decimal("7.95"),
            **kwargs,
        )
        if not created:
            return None
        self.created.append("order(s)")
        order_transition(order=order, to_status=Order.Status.PROCESSING, actor=ACTOR, reason="payment captured")
        return order

    def track(self, shipment, *scans):
        """Record carrier scans: (status, days ago, location, description)."""
        for status, days_ago, location, description in scans:
            shipment_event_record(
                shipment=shipment,
                status=status,
                occurred_at=self.now - timedelta(days=days_ago),
                carrier_code=status.upper(),
                location=location,
                description=description,
                actor="system:carrier",
            )

    def load_orders(self, channels, c):
        jacket = ("NW-JKT-01", "Ridgeline rain jacket", 1, "129.00", False)
        socks = ("NW-SCK-03", "Merino hiking socks (3 pack)", 2, "24.00", False)
        boot = ("NW-BT-02", "Trailhead hiking boot", 1, "149.00", False)
        tent_backordered = ("NW-TNT-05", "Two-person backpacking tent", 1, "329.00", True)
        pack = ("NW-PK-04", "Summit 30L daypack", 1, "89.00", False)
        bottle = ("NW-BTL-06", "Insulated bottle 750 ml", 2, "29.00", False)

        # Emma: delivered, then returns the jacket (approved, label issued, in transit, received).
        if order := self.order(channels, c["emma"], "northwind-web", "NW-10001", 12, [jacket, socks]):
            shipment, _ = shipment_create(
                order=order,
                carrier="ups",
                tracking_number="1Z999AA10000010001",
                tracking_url="https://www.ups.com/track?tracknum=1Z999AA10000010001",
                actor=ACTOR,
            )
            self.track(
                shipment,
                ("shipped", 11, "Portland, OR", "Picked up"),
                ("in_transit", 10, "Chicago, IL", "Departed facility"),
                ("out_for_delivery", 8, "New York, NY", "Out for delivery"),
                ("delivered", 7.9, "New York, NY", "Delivered, front door"),
            )
            jacket_line = order.lines.get(sku="NW-JKT-01")
            ret, _ = return_create(order=order, lines=[(jacket_line, 1)], reason="Too small", actor=ACTOR)
            ret = return_transition(return_request=ret, to_status="approved", actor=ACTOR)
            ret = return_transition(
                return_request=ret,
                to_status="label_issued",
                actor=ACTOR,
                return_carrier="ups",
                return_tracking_number="1Z999AA19000010001",
                label_url="https://northwind.example.com/returns/label/1Z999AA19000010001",
            )
            ret = return_transition(return_request=ret, to_status="in_transit", actor=ACTOR)
            return_transition(return_request=ret, to_status="received", actor=ACTOR)

        # Sofía (marketplace): in transit with an estimated delivery date.
        if order := self.order(channels, c["sofia"], "northwind-marketplace", "MP-55102", 4, [boot, socks]):
            shipment, _ = shipment_create(
                order=order,
                carrier="estafeta",
                tracking_number="EST8052214471",
                estimated_delivery=self.now + timedelta(days=2),
                actor=ACTOR,
            )
            self.track(
                shipment,
                ("shipped", 3, "Guadalajara, JAL", "Recolectado"),
                ("in_transit", 2, "Querétaro, QRO", "En tránsito"),
            )

        # Camille: just shipped.
        if order := self.order(channels, c["camille"], "northwind-web", "NW-10003", 2, [pack], currency="EUR"):
            shipment, _ = shipment_create(
                order=order, carrier="colissimo", tracking_number="6A12345678901", actor=ACTOR
            )
            self.track(shipment, ("shipped", 1, "Roissy, FR", "Pris en charge"))

        # Lukas: the tent is backordered; the boot ships alone (order partially shipped).
        if order := self.order(
            channels, c["lukas"], "northwind-web", "NW-10004", 3, [boot, tent_backordered], currency="EUR"
        ):
            boot_line = order.lines.get(sku="NW-BT-02")
            shipment, _ = shipment_create(
                order=order, carrier="dhl", tracking_number="00340434161094042557", lines=[(boot_line, 1)], actor=ACTOR
            )
            self.track(shipment, ("shipped", 2, "Leipzig, DE", "Sendung abgeholt"))

        # Michael (store, click & collect): processing.
        self.order(channels, c["michael"], "northwind-pos", "POS-30017", 0, [bottle, jacket])

        # Valentina (marketplace): cancelled before shipping.
        if order := self.order(channels, c["valentina"], "northwind-marketplace", "MP-55117", 1, [pack]):
            order_transition(order=order, to_status=Order.Status.CANCELLED, actor=ACTOR, reason="customer request")

        # Jeanne: the carrier hit a delivery exception.
        if order := self.order(channels, c["jeanne"], "northwind-web", "NW-10006", 6, [jacket], currency="EUR"):
            shipment, _ = shipment_create(
                order=order, carrier="colissimo", tracking_number="6A98765432109", actor=ACTOR
            )
            self.track(
                shipment,
                ("shipped", 5, "Roissy, FR", "Pris en charge"),
                ("in_transit", 4, "Lyon, FR", "En cours d'acheminement"),
                ("delivery_exception", 3, "Lyon, FR", "Adresse incomplète"),
            )

        # Anna: delivered.
        if order := self.order(channels, c["anna"], "northwind-web", "NW-10007", 9, [boot, socks], currency="EUR"):
            shipment, _ = shipment_create(
                order=order, carrier="dhl", tracking_number="00340434161094042999", actor=ACTOR
            )
            self.track(
                shipment,
                ("shipped", 8, "Leipzig, DE", "Sendung abgeholt"),
                ("in_transit", 7, "Berlin, DE", "Im Zustellzentrum"),
                ("delivered", 6, "Berlin, DE", "Zugestellt"),
            )

    # --- people and partners --------------------------------------------------------------------

    def load_admin(self) -> bool:
        User = get_user_model()
        if User.objects.filter(username=ADMIN_USERNAME).exists():
            return False  # never touch an existing account (or its password)
        User.objects.create_superuser(ADMIN_USERNAME, "admin@northwind.example.com", ADMIN_PASSWORD)
        self.created.append("admin user")
        return True

    def load_partner(self, channels) -> str | None:
        if Partner.objects.filter(name=PARTNER_NAME).exists():
            return None
        _, token = partner_create(name=PARTNER_NAME, sales_channels=channels.values(), actor=ACTOR)
        self.created.append("API partner")
        return token

    # --- output ---------------------------------------------------------------------------------

    def load_vapid_keys(self) -> str:
        """Web Push keys: the environment's, else a pair generated once under WAYPOST_DATA_DIR."""
        from preferences.vapid import ensure_vapid_keys, keys_file

        ensure_vapid_keys()
        if settings.WEBPUSH_VAPID_PUBLIC_KEY:
            return "from WEBPUSH_VAPID_PUBLIC_KEY / WEBPUSH_VAPID_PRIVATE_KEY"
        return f"in {keys_file()}"

    def report(self, customers, admin_created, partner_token):
        out, site = self.stdout, settings.SITE_URL
        if self.created:
            counts = Counter(self.created)
            out.write("Demo data loaded: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + ".")
        else:
            out.write("Demo data already loaded: nothing added.")
        if admin_created:
            admin_line = f"user {ADMIN_USERNAME}, password {ADMIN_PASSWORD}"
        else:
            admin_line = (
                f"user {ADMIN_USERNAME}: an existing account, its password left unchanged; "
                f"the demo default is {ADMIN_PASSWORD}"
            )
        demo = customers[PREFERENCE_DEMO_CUSTOMER]
        out.write("")
        out.write(f"  Admin:            {site}{reverse('admin:index')}  ({admin_line})")
        out.write(f"  API docs:         {site}{reverse('api-docs')}")
        out.write(f"  Preference page:  {preference_link_for(demo)}  ({demo.name}, {demo.language})")
        out.write(f"  Web Push keys:    VAPID pair {self.vapid}")
        if partner_token:
            out.write(f"  Partner API token ({PARTNER_NAME}, shown only now; store it): {partner_token}")
        else:
            out.write(
                f"  Partner '{PARTNER_NAME}' exists; issue a new token with: "
                f"python manage.py add_partner --name '{PARTNER_NAME}' --rotate"
            )
