"""Payloads in each source's documented shape (Shopify REST webhooks, WooCommerce REST v3,
Amazon-style order reports) and the signatures their senders compute."""

import base64
import copy
import hashlib
import hmac
import json

SHOPIFY_ORDER = {
    "id": 5837146652907,
    "admin_graphql_api_id": "gid://shopify/Order/5837146652907",
    "name": "#1001",
    "order_number": 1001,
    "email": "jon.snow@example.com",
    "phone": None,
    "contact_email": "jon.snow@example.com",
    "created_at": "2025-05-01T10:15:00-04:00",
    "updated_at": "2025-05-01T10:15:02-04:00",
    "cancelled_at": None,
    "cancel_reason": None,
    "currency": "USD",
    "presentment_currency": "USD",
    "financial_status": "paid",
    "fulfillment_status": None,
    "customer_locale": "en-US",
    "subtotal_price": "178.00",
    "total_tax": "14.24",
    "total_price": "202.24",
    "total_discounts": "0.00",
    "total_shipping_price_set": {
        "shop_money": {"amount": "10.00", "currency_code": "USD"},
        "presentment_money": {"amount": "10.00", "currency_code": "USD"},
    },
    "customer": {
        "id": 7390328275179,
        "email": "jon.snow@example.com",
        "first_name": "Jon",
        "last_name": "Snow",
        "phone": "+14155550123",
        "state": "enabled",
        "currency": "USD",
        "default_address": {"country_code": "US"},
    },
    "line_items": [
        {
            "id": 14412300001,
            "variant_id": 44110001,
            "product_id": 8001,
            "title": "Trail runner",
            "name": "Trail runner - 42 / Black",
            "sku": "TR-42-BLK",
            "quantity": 2,
            "price": "89.00",
            "fulfillable_quantity": 2,
            "requires_shipping": True,
        },
    ],
    "shipping_address": {
        "first_name": "Jon",
        "last_name": "Snow",
        "name": "Jon Snow",
        "address1": "1 Wall St",
        "address2": "",
        "city": "New York",
        "province": "New York",
        "province_code": "NY",
        "zip": "10005",
        "country": "United States",
        "country_code": "US",
        "phone": "+14155550123",
    },
    "billing_address": {"country_code": "US"},
    "fulfillments": [],
}

SHOPIFY_FULFILLMENT = {
    "id": 4451234567,
    "admin_graphql_api_id": "gid://shopify/Fulfillment/4451234567",
    "order_id": 5837146652907,
    "status": "success",
    "created_at": "2025-05-02T09:00:00-04:00",
    "updated_at": "2025-05-02T09:00:00-04:00",
    "service": "manual",
    "shipment_status": None,
    "location_id": 905684977,
    "name": "#1001.1",
    "tracking_company": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "tracking_numbers": ["1Z999AA10123456784"],
    "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    "tracking_urls": ["https://www.ups.com/track?tracknum=1Z999AA10123456784"],
    "line_items": [{"id": 14412300001, "sku": "TR-42-BLK", "quantity": 2, "price": "89.00", "title": "Trail runner"}],
}

WOO_ORDER = {
    "id": 727,
    "parent_id": 0,
    "number": "727",
    "order_key": "wc_order_58d2d042d1d",
    "created_via": "checkout",
    "status": "processing",
    "currency": "EUR",
    "date_created": "2025-05-01T12:00:00",
    "date_created_gmt": "2025-05-01T10:00:00",
    "discount_total": "0.00",
    "shipping_total": "4.90",
    "total": "64.80",
    "total_tax": "0.00",
    "prices_include_tax": True,
    "customer_id": 26,
    "billing": {
        "first_name": "Lena",
        "last_name": "Schmidt",
        "company": "",
        "address_1": "Hauptstr. 1",
        "address_2": "",
        "city": "Berlin",
        "state": "",
        "postcode": "10115",
        "country": "DE",
        "email": "lena@example.de",
        "phone": "+49 151 23456789",
    },
    "shipping": {
        "first_name": "Lena",
        "last_name": "Schmidt",
        "company": "",
        "address_1": "Hauptstr. 1",
        "address_2": "",
        "city": "Berlin",
        "state": "",
        "postcode": "10115",
        "country": "DE",
    },
    "payment_method": "stripe",
    "line_items": [
        {
            "id": 315,
            "name": "Wool socks, 3 pack",
            "product_id": 93,
            "variation_id": 0,
            "quantity": 1,
            "subtotal": "24.00",
            "total": "24.00",
            "sku": "WS-3P",
            "price": 24,
        },
        {
            "id": 316,
            "name": "Rain jacket",
            "product_id": 94,
            "variation_id": 0,
            "quantity": 1,
            "subtotal": "35.90",
            "total": "35.90",
            "sku": "RJ-M-NVY",
            "price": 35.9,
        },
    ],
    "meta_data": [],
}

MARKETPLACE_CSV_HEADER = (
    "amazon-order-id\tpurchase-date\tbuyer-email\tbuyer-name\tbuyer-phone-number\tsku\t"
    "product-name\tquantity-purchased\titem-price\tcurrency\tship-address-1\tship-city\t"
    "ship-state\tship-postal-code\tship-country"
)


def csv_row(
    order_id, *, email="buyer@example.com", sku="TR-42-BLK", qty="1", price="89.00", city="Austin", address="5 Main St"
):
    return "\t".join(
        [
            order_id,
            "2025-05-01T08:00:00+00:00",
            email,
            "Ana Buyer",
            "+15125550100",
            sku,
            "Trail runner",
            qty,
            price,
            "USD",
            address,
            city,
            "TX",
            "78701",
            "US",
        ]
    )


def marketplace_csv(*rows: str) -> bytes:
    return "\n".join([MARKETPLACE_CSV_HEADER, *rows]).encode()


def marketplace_json_rows():
    return [
        {
            "order_id": "114-0000001-0000001",
            "purchase_date": "2025-05-01T08:00:00Z",
            "buyer_email": "a@example.com",
            "buyer_name": "Al",
            "sku": "TR-42-BLK",
            "product_name": "Trail runner",
            "quantity": 1,
            "item_price": "89.00",
            "currency": "USD",
            "ship_address_1": "1 A St",
            "ship_city": "Austin",
            "ship_postal_code": "78701",
            "ship_country": "US",
        },
        {
            "order_id": "114-0000002-0000002",
            "purchase_date": "2025-05-01T08:00:00Z",
            "buyer_email": "x7k2p9q4@marketplace.amazon.com",
            "buyer_name": "Bea",
            "sku": "NOPE-1",
            "product_name": "Mystery",
            "quantity": 1,
            "item_price": "10.00",
            "currency": "USD",
            "ship_address_1": "2 B St",
            "ship_city": "Austin",
            "ship_postal_code": "78701",
            "ship_country": "US",
        },
        {
            "order_id": "114-0000003-0000003",
            "purchase_date": "2025-05-01T08:00:00Z",
            "buyer_email": "c@example.com",
            "buyer_name": "Cy",
            "sku": "TR-42-BLK",
            "product_name": "Trail runner",
            "quantity": "two",
            "item_price": "89.00",
            "currency": "USD",
            "ship_address_1": "3 C St",
            "ship_city": "Austin",
            "ship_postal_code": "78701",
            "ship_country": "US",
        },
    ]


def shopify_order(**overrides):
    payload = copy.deepcopy(SHOPIFY_ORDER)
    payload.update(overrides)
    return payload


def body_of(payload) -> bytes:
    return json.dumps(payload).encode()


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
