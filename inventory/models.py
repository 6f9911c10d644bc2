"""Products (SKUs), their stock levels, and customers waiting for them to come back."""

from django.db import models


class Product(models.Model):
    brand = models.ForeignKey("customers.Brand", on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    image_url = models.URLField(blank=True, max_length=500)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["brand", "sku"], name="uniq_sku_per_brand")]

    def __str__(self):
        return f"{self.sku} {self.name}"


class StockThreshold(models.TextChoices):
    BELOW_ZERO = "below_zero", "Went below zero"
    LOW_STOCK = "low_stock", "Fell to the low-stock threshold"
    BACK_IN_STOCK = "back_in_stock", "Back in stock"


class StockLevel(models.Model):
    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    low_stock_threshold = models.IntegerField(default=5)
    restock_eta = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.product.sku}: {self.available} available"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class BackInStockSubscription(models.Model):
    class Channel(models.TextChoices):
        ANY = "any", "Customer's preferred channel"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        PUSH = "push", "Push"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="stock_subscriptions")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="subscriptions")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ANY)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "product"], name="uniq_stock_subscription")]

    def __str__(self):
        return f"{self.customer} waits for {self.product.sku}"
