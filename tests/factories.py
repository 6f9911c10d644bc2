"""factory_boy factories for the domain models."""

from decimal import Decimal

import factory
from django.utils import timezone

from customers.models import Brand, Customer, SalesChannel
from inventory.models import Product, StockLevel
from orders.models import Order, OrderLine, Shipment
from returns.models import ReturnRequest


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    sender_email = factory.LazyAttribute(lambda o: f"orders@{o.slug}.example")
    sender_name = factory.LazyAttribute(lambda o: o.name)
    support_email = factory.LazyAttribute(lambda o: f"help@{o.slug}.example")
    sms_sender_id = "WAYPOST"


class SalesChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesChannel

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    brand = factory.SubFactory(BrandFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    language = "en"
    time_zone = "America/Los_Angeles"
    country = "US"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    sales_channel = factory.SubFactory(SalesChannelFactory)
    customer = factory.SubFactory(CustomerFactory, brand=factory.SelfAttribute("..sales_channel.brand"))
    external_id = factory.Sequence(lambda n: f"{1000 + n}")
    number = factory.SelfAttribute("external_id")
    placed_at = factory.LazyFunction(timezone.now)
    total = Decimal("59.90")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = "Trail shoe"
    quantity = 1
    unit_price = Decimal("59.90")


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    carrier = "ups"
    tracking_number = factory.Sequence(lambda n: f"1Z999AA1{n:010d}")


class ReturnRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnRequest

    order = factory.SubFactory(OrderFactory)
    reason = "Too small"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    brand = factory.SubFactory(BrandFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = "Trail shoe"
    price = Decimal("59.90")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    product = factory.SubFactory(ProductFactory)
    on_hand = 10
