"""Bench data, made fast: a brand per scenario (so ``pipeline_report(brand_ids=)`` sees only its
traffic), customers with one order, one line and one shipment each (bulk inserts: setting up
50,000 is not what is measured), and ``shipment.delivered`` events exactly as the receiver writes
them (the same snapshots) published in committed chunks, each queued on commit like the outbox.

Quiet hours, frequency caps and the per-customer SMS cap are off for the run (environment, see
``run.bench_env``) and each customer gets one message, so the bench measures the pipeline."""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalogue import snapshots
from customers.models import Brand, Customer, SalesChannel
from notifications.models import Event
from notifications.queueing import event_enqueue_on_commit
from orders.models import Order, OrderLine, Shipment

BATCH = 2000


def make_brand(label: str) -> tuple[Brand, SalesChannel]:
    stamp = f"{label}-{secrets.token_hex(3)}"
    brand = Brand.objects.create(
        name=f"Bench {label}",
        slug=f"bench-{stamp}",
        sender_email="orders@bench.example",
        sender_name="Bench Outfitters",
        support_email="help@bench.example",
        sms_sender_id="BENCH",
        support_url="https://bench.example/help",
        default_language="en",
    )
    channel = SalesChannel.objects.create(brand=brand, name="Bench web shop", slug=f"bench-web-{stamp}")
    return brand, channel


PHONES = {"GB": "+4477{:08d}", "US": "+1415{:07d}"}


def make_shipments(brand: Brand, channel: SalesChannel, n: int, *, sms: bool = True, country: str = "GB") -> list[dict]:
    """``n`` customers, each with an order of one line and a shipment; ``sms=False``: no phone on
    file, so the two-channel rule plans email only (SMS skipped: no contact). ``country``: where
    their phones are (SMS routes by country)."""
    phone = PHONES[country]
    digits = 10 ** (8 if country == "GB" else 7)
    now = timezone.now()
    base = Customer.objects.count()
    rows = []
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    brand=brand,
                    name=f"Bench Customer {base + start + i}",
                    email=f"c{base + start + i}@{brand.slug}.example",
                    phone=phone.format(2_000_000 + (base + start + i) % (digits // 2)) if sms else "",
                    language="en",
                    time_zone="Europe/London",
                    country=country,
                )
                for i in range(count)
            ]
        )
        orders = Order.objects.bulk_create(
            [
                Order(
                    sales_channel=channel,
                    external_id=f"B-{c.pk}",
                    number=f"B-{c.pk}",
                    customer=c,
                    currency="GBP",
                    subtotal=Decimal("49.00"),
                    total=Decimal("49.00"),
                    placed_at=now,
                    status="shipped",
                    shipping_address={"country": "GB"},
                )
                for c in customers
            ]
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(order=o, sku="TR-42-BLK", name="Trail runner, black", quantity=1, unit_price=Decimal("49.00"))
                for o in orders
            ]
        )
        shipments = Shipment.objects.bulk_create(
            [
                Shipment(
                    order=o,
                    carrier="ups",
                    tracking_number=f"1ZB{o.pk:012d}",
                    tracking_url=f"https://track.example/1ZB{o.pk:012d}",
                    status="out_for_delivery",
                )
                for o in orders
            ]
        )
        for c, o, ln, s in zip(customers, orders, lines, shipments, strict=False):
            o.sales_channel = channel
            rows.append({"customer": c, "order": o, "line": ln, "shipment": s})
    return rows


def delivered_event(brand: Brand, row: dict) -> Event:
    order, shipment = row["order"], row["shipment"]
    shipment.status = "delivered"
    payload = {
        "event": "shipment.delivered",
        "from_status": "out_for_delivery",
        "to_status": "delivered",
        "brand": snapshots.brand_snapshot(brand),
        "customer": snapshots.customer_snapshot(row["customer"]),
        "order": snapshots.order_snapshot(order, lines=[row["line"]]),
        "shipment": snapshots.shipment_snapshot(shipment),
    }
    return Event(
        type="shipment.delivered",
        subject_type="shipment",
        subject_id=shipment.pk,
        payload=payload,
        brand_id=brand.pk,
        customer_id=row["customer"].pk,
        order_id=order.pk,
    )


def publish(events: list[Event]) -> list[int]:
    """Commit the events (stamped now) and queue them on commit, as the receiver does."""
    now = timezone.now()
    for e in events:
        e.created_at = now
    with transaction.atomic():
        Event.objects.bulk_create(events)
        ids = [e.pk for e in events]
        for event_id in ids:
            event_enqueue_on_commit(event_id)
    return ids


def publish_burst(brand: Brand, rows: list[dict], *, chunk: int = 500) -> dt.datetime:
    """All events as fast as the producer can commit them, in chunks; returns the first commit's stamp."""
    first = None
    for start in range(0, len(rows), chunk):
        events = [delivered_event(brand, r) for r in rows[start : start + chunk]]
        publish(events)
        first = first or events[0].created_at
    return first
