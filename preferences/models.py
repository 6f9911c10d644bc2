"""Brands (on whose behalf every message is sent) and customers (the recipients)."""
from django.db import models

from .validators import validate_country, validate_language, validate_time_zone


class Brand(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    logo_url = models.URLField(blank=True)
    primary_color = models.CharField(max_length=7, default="#1f4e79", help_text="Hex, e.g. #1f4e79")
    accent_color = models.CharField(max_length=7, default="#f5a623")
    sender_email = models.EmailField()
    sender_name = models.CharField(max_length=120)
    sms_sender_id = models.CharField(max_length=11, blank=True, help_text="Alphanumeric sender id (max 11)")
    sms_sender_number = models.CharField(max_length=20, blank=True, help_text="E.164 number for countries without alphanumeric ids")
    support_email = models.EmailField()
    support_phone = models.CharField(max_length=20, blank=True)
    support_url = models.URLField(blank=True)
    company_address = models.CharField(max_length=300, blank=True)
    default_language = models.CharField(max_length=16, default="en", validators=[validate_language])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Customer(models.Model):
    """A recipient of notifications. Identified per sales channel by :class:`CustomerIdentity`."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="customers")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164")
    language = models.CharField(max_length=16, blank=True, validators=[validate_language], help_text="BCP 47, e.g. es-MX")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    tier = models.CharField(max_length=20, default="standard", choices=[("standard", "Standard"), ("vip", "VIP")])
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.name or self.email or self.phone or f"Customer {self.pk}"


class CustomerIdentity(models.Model):
    """The customer's id in one sales channel (a shop's customer id, a marketplace buyer id)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    sales_channel = models.ForeignKey("orders.SalesChannel", on_delete=models.CASCADE, related_name="customer_identities")
    external_id = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sales_channel", "external_id"], name="uniq_customer_per_channel")
        ]
        verbose_name_plural = "customer identities"

    def __str__(self):
        return f"{self.sales_channel}:{self.external_id}"
