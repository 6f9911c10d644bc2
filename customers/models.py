"""Who Waypost talks to: brands (on whose behalf every message is sent), their sales channels
(the shops and marketplaces orders come from) and customers with their identities per channel."""

from django.db import models

from customers.validators import validate_country, validate_language, validate_time_zone


class Brand(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    logo_url = models.URLField(blank=True)
    primary_color = models.CharField(max_length=7, default="#1f4e79", help_text="Hex, e.g. #1f4e79")
    accent_color = models.CharField(max_length=7, default="#f5a623")
    sender_email = models.EmailField()
    sender_name = models.CharField(max_length=120)
    sms_sender_id = models.CharField(max_length=11, blank=True, help_text="Alphanumeric sender id (max 11)")
    sms_sender_number = models.CharField(
        max_length=20, blank=True, help_text="E.164 number for countries without alphanumeric ids"
    )
    sms_countries = models.CharField(
        "SMS countries",
        max_length=300,
        blank=True,
        help_text="The countries this brand texts customers in, ISO codes separated by commas (e.g. 'FR,DE,MX'); "
        "empty: any country. Where only numbers may send (SMS_NUMERIC_SENDER_COUNTRIES, e.g. US, CA) "
        "a number is required",
    )
    support_email = models.EmailField()
    support_phone = models.CharField(max_length=20, blank=True)
    support_url = models.URLField(blank=True)
    company_address = models.CharField(max_length=300, blank=True)
    default_language = models.CharField(max_length=16, default="en", validators=[validate_language])

    class Meta:
        db_table = "preferences_brand"  # the table it had before it moved here
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        from customers.sms_senders import brand_validate_senders

        brand_validate_senders(self)


class Customer(models.Model):
    """A recipient of notifications. Identified per sales channel by :class:`CustomerIdentity`."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="customers")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164")
    language = models.CharField(
        max_length=16, blank=True, validators=[validate_language], help_text="BCP 47, e.g. es-MX"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    tier = models.CharField(max_length=20, default="standard", choices=[("standard", "Standard"), ("vip", "VIP")])
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "preferences_customer"  # the table it had before it moved here
        ordering = ["-id"]

    def __str__(self):
        return self.name or self.email or self.phone or f"Customer {self.pk}"


class CustomerIdentity(models.Model):
    """The customer's id in one sales channel (a shop's customer id, a marketplace buyer id)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    sales_channel = models.ForeignKey(
        "customers.SalesChannel", on_delete=models.CASCADE, related_name="customer_identities"
    )
    external_id = models.CharField(max_length=120)

    class Meta:
        db_table = "preferences_customeridentity"  # the table it had before it moved here
        constraints = [
            models.UniqueConstraint(fields=["sales_channel", "external_id"], name="uniq_customer_per_channel")
        ]
        verbose_name_plural = "customer identities"

    def __str__(self):
        return f"{self.sales_channel}:{self.external_id}"


class SalesChannel(models.Model):
    class Kind(models.TextChoices):
        WEB = "web", "Web shop"
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        MARKETPLACE = "marketplace", "Marketplace"
        POS = "pos", "Point of sale"
        API = "api", "Partner API"

    brand = models.ForeignKey("customers.Brand", on_delete=models.PROTECT, related_name="sales_channels")
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WEB)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "orders_saleschannel"  # the table it had before it moved here
        ordering = ["name"]

    def __str__(self):
        return self.name
