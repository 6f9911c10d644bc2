"""Validation profiles: what each kind of sales channel must send, with warnings kept apart
from errors. A channel's ``ChannelIntakeSettings.validation_overrides`` adjusts its kind's
profile (the account context).

Choices made here (and why):
- A masked or relay email (``***@``, ``…@marketplace.amazon.com``) is accepted with the email
  left out of the customer: messages to it are not read, or break the marketplace's rules, so
  the email channel is unusable and the planner skips it for lack of an address. A warning says so.
- A POS order needs no shipping address (the customer walked out with it); a marketplace order
  must have one; web shops get a warning without one (digital goods exist).
- An unknown SKU is a warning: the order is real even when the catalogue is behind.
- An invalid phone or country is dropped with a warning (the email may still reach them).
- Everything else is held to the API's rules (``core.bounds``, ``customers.validators``): an ISO
  4217 currency, a placed_at from 2000 to at most a day from now, at most ``ORDER_MAX_LINES``
  lines of at most ``MAX_LINE_QUANTITY`` units, amounts that fit their columns, and a shipping
  address in the one address shape (``customers.serializers.AddressSerializer``).
"""

import re
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime

from core.bounds import MAX_LINE_QUANTITY, validate_moment
from intake.sources.base import IntakeRejected, Issue

MAX_AMOUNT = Decimal("9999999999.99")  # the amount columns' 12 digits, 2 after the point

MASKED = re.compile(r"\*{2,}|^x{3,}@|^redacted@", re.IGNORECASE)
RELAY_DOMAINS = [
    "marketplace.amazon.com",
    "marketplace.amazon.co.uk",
    "marketplace.amazon.de",
    "marketplace.amazon.fr",
    "marketplace.amazon.es",
    "members.ebay.com",
    "privaterelay.appleid.com",
    "relay.walmart.com",
]

PROFILES = {
    "web": {"shipping_address": "warn"},
    "shopify": {"shipping_address": "warn"},
    "woocommerce": {"shipping_address": "warn"},
    "marketplace": {"shipping_address": "required"},
    "pos": {"shipping_address": "optional"},
    "api": {"shipping_address": "warn"},
}


def profile_for(channel) -> dict:
    profile = {"shipping_address": "warn", "relay_email_domains": RELAY_DOMAINS, "unknown_sku": "warn"}
    profile.update(PROFILES.get(channel.kind, {}))
    settings_row = getattr(channel, "intake_settings", None) if _has_settings(channel) else None
    if settings_row and settings_row.validation_overrides:
        profile.update(settings_row.validation_overrides)
    return profile


def _has_settings(channel) -> bool:
    from intake.models import ChannelIntakeSettings

    try:
        return channel.intake_settings is not None
    except ChannelIntakeSettings.DoesNotExist:
        return False


@dataclass
class OrderDraft:
    """An order as a source described it, before validation (strings as they came)."""

    external_id: str
    customer: dict  # external_id, name, email, phone, country, language
    lines: list[dict]  # sku, name, quantity, unit_price (or line_total)
    currency: str = "USD"
    placed_at: object = None
    shipping_address: dict = field(default_factory=dict)
    subtotal: object = None
    shipping_total: object = None
    tax_total: object = None
    total: object = None
    number: object = None  # the order number the customer sees, when it is not the external id


def is_masked_or_relay(email: str, relay_domains) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    return bool(MASKED.search(email)) or any(domain == d or domain.endswith("." + d) for d in relay_domains)


def _decimal(value, *, field_name, errors, required=False):
    if value in (None, ""):
        if required:
            errors.append(Issue(field_name, "required", "a number is required"))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(Issue(field_name, "decimal", f"{value!r} is not a number"))
        return None
    if not number.is_finite() or number < 0:
        errors.append(Issue(field_name, "non_negative", f"{value!r} must be zero or more"))
        return None
    if number > MAX_AMOUNT:
        errors.append(Issue(field_name, "max_value", f"{value!r} is more than {MAX_AMOUNT}"))
        return None
    return number.quantize(Decimal("0.01"))


def _address(raw, errors) -> dict:
    """The address in the one address shape; its faults as issues on ``shipping_address.<part>``."""
    from customers.serializers import AddressSerializer

    if not isinstance(raw, dict):
        errors.append(Issue("shipping_address", "object", "an address is an object of its parts"))
        return {}
    address = AddressSerializer(data={k: v for k, v in raw.items() if v not in (None, "")})
    if address.is_valid():
        return dict(address.validated_data)
    for part, messages in address.errors.items():
        for message in messages:
            errors.append(Issue(f"shipping_address.{part}", getattr(message, "code", "invalid"), str(message)))
    return {}


def validate_order(*, channel, draft: OrderDraft) -> tuple[dict, list[Issue]]:
    """The keyword arguments for ``order_receive`` and the warnings; raises IntakeRejected
    naming each field and rule that failed."""
    from customers.validators import normalize_phone, validate_country, validate_currency
    from inventory.selectors import products_by_sku

    profile = profile_for(channel)
    errors, warnings = [], []
    external_id = str(draft.external_id or "").strip()
    if not external_id:
        errors.append(Issue("external_id", "required", "the order number is missing"))

    # Customer and contact points.
    c = draft.customer or {}
    customer = {"name": str(c.get("name") or "").strip()[:200]}
    email = str(c.get("email") or "").strip()
    if email:
        if is_masked_or_relay(email, profile["relay_email_domains"]):
            warnings.append(
                Issue(
                    "customer.email",
                    "masked_or_relay_email",
                    f"{email} is a masked or relay address: email channel unusable, not stored",
                )
            )
        else:
            try:
                validate_email(email)
                customer["email"] = email.lower()
            except ValidationError:
                errors.append(Issue("customer.email", "email_format", f"{email!r} is not an email address"))
    country = str(c.get("country") or "").strip().upper()
    if country:
        try:
            customer["country"] = validate_country(country)
        except ValidationError:
            warnings.append(Issue("customer.country", "iso_3166_alpha2", f"{country!r} dropped"))
            country = ""
    phone = str(c.get("phone") or "").strip()
    if phone:
        try:
            customer["phone"] = normalize_phone(phone, country)
        except ValidationError:
            warnings.append(Issue("customer.phone", "e164", f"{phone!r} is not a valid phone number; dropped"))
    if c.get("language"):
        customer["language"] = str(c["language"]).replace("_", "-")
    customer["external_id"] = str(c.get("external_id") or customer.get("email") or f"order:{external_id}")

    # Lines.
    lines = []
    if not draft.lines:
        errors.append(Issue("lines", "required", "an order needs at least one line"))
    elif len(draft.lines) > settings.ORDER_MAX_LINES:
        errors.append(
            Issue("lines", "max_items", f"{len(draft.lines)} lines: an order has at most {settings.ORDER_MAX_LINES}")
        )
        raise IntakeRejected(errors)
    for i, raw in enumerate(draft.lines or []):
        if not isinstance(raw, dict):
            errors.append(Issue(f"lines[{i}]", "object", "a line is an object (sku, quantity, unit_price)"))
            continue
        sku = str(raw.get("sku") or "").strip()
        if not sku:
            errors.append(Issue(f"lines[{i}].sku", "required", "every line needs a SKU"))
        qty_raw = raw.get("quantity")
        try:
            quantity = int(str(qty_raw).strip())
            if quantity <= 0 or str(qty_raw).strip() != str(quantity):
                raise ValueError
            if quantity > MAX_LINE_QUANTITY:
                errors.append(
                    Issue(f"lines[{i}].quantity", "max_value", f"{quantity} is more than {MAX_LINE_QUANTITY} units")
                )
                quantity = None
        except (TypeError, ValueError):
            errors.append(
                Issue(f"lines[{i}].quantity", "positive_integer", f"{qty_raw!r} is not a whole number above 0")
            )
            quantity = None
        if raw.get("unit_price") in (None, "") and raw.get("line_total") not in (None, ""):
            total = _decimal(raw.get("line_total"), field_name=f"lines[{i}].line_total", errors=errors)
            unit_price = (total / quantity).quantize(Decimal("0.01")) if total is not None and quantity else None
        else:
            unit_price = _decimal(
                raw.get("unit_price"), field_name=f"lines[{i}].unit_price", errors=errors, required=True
            )
        lines.append(
            {"sku": sku, "name": str(raw.get("name") or "")[:200], "quantity": quantity, "unit_price": unit_price}
        )

    currency = str(draft.currency or "").strip().upper()
    try:
        validate_currency(currency)
    except ValidationError as exc:
        errors.append(Issue("currency", "iso_4217", exc.messages[0]))

    placed_at = draft.placed_at
    if isinstance(placed_at, str):
        try:
            placed_at = parse_datetime(placed_at.strip()) if placed_at.strip() else None
        except ValueError:  # well formed, but no such day or hour
            placed_at = None
        if placed_at is None:
            errors.append(Issue("placed_at", "iso_8601_datetime", f"{draft.placed_at!r} is not a date-time"))
        else:
            try:
                validate_moment(placed_at, past=True)
                if placed_at.tzinfo is None:
                    placed_at = placed_at.replace(tzinfo=UTC)
            except ValidationError as exc:
                errors.append(Issue("placed_at", exc.code or "date_range", exc.messages[0]))
                placed_at = None

    address = _address(draft.shipping_address or {}, errors)
    rule = profile["shipping_address"]
    if not address and rule == "required":
        errors.append(
            Issue("shipping_address", "required_for_channel", f"a {channel.kind} order must have a shipping address")
        )
    elif not address and rule == "warn":
        warnings.append(Issue("shipping_address", "missing", "no shipping address (digital goods?)"))

    amounts = {}
    for name in ("subtotal", "shipping_total", "tax_total", "total"):
        value = _decimal(getattr(draft, name), field_name=name, errors=errors)
        if value is not None:
            amounts[name] = value
    if errors:
        raise IntakeRejected(errors)

    known = products_by_sku(brand_id=channel.brand_id, skus=[ln["sku"] for ln in lines])
    for i, line in enumerate(lines):
        if line["sku"] not in known and profile["unknown_sku"] == "warn":
            warnings.append(Issue(f"lines[{i}].sku", "unknown_sku", f"{line['sku']} is not in the catalogue"))
    return {
        "external_id": external_id,
        "customer_data": customer,
        "lines": lines,
        "currency": currency,
        "placed_at": placed_at,
        "shipping_address": address,
        "number": str(draft.number or "").strip().lstrip("#").strip()[:120],
        **amounts,
    }, warnings
