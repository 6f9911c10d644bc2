"""The carrier adapter interface: verify a webhook, parse it into normalized ``CarrierEvent``s,
and (for carriers that are polled) fetch events from the carrier's tracking API.

Adapters only translate formats; the status a code means is
``orders.intake_services.carrier_status_for``'s job, and what an event does to a shipment
(dedupe, late events, ETA slips) is ``orders.services.shipment_event_record``'s."""

import base64
import hashlib
import hmac
import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.utils.dateparse import parse_datetime


class TransientCarrierError(Exception):
    """A poll failed in a way worth retrying (timeout, connection error, 429, 5xx)."""


class PermanentCarrierError(Exception):
    """A poll failed in a way retrying will not fix (4xx other than 429, unreadable body)."""


@dataclass
class CarrierEvent:
    tracking_number: str
    code: str  # the carrier's status code, mapped through CarrierStatusMapping
    occurred_at: datetime  # the carrier's own timestamp of the scan
    description: str = ""
    location: str = ""
    estimated_delivery: datetime | None = None
    raw: dict = field(default_factory=dict)
    # The carrier codes a shipment of this event may be filed under, when the payload names its
    # carrier (an aggregator such as AfterShip posts for many carriers to one URL). Empty: the
    # carrier of the account the event came to.
    carriers: tuple[str, ...] = ()


class CarrierAdapter:
    name = ""
    signature_header = ""  # the HTTP header carrying the webhook signature
    default_mappings: dict[str, str] = {}  # carrier code -> Waypost shipment status ("" = ignore)
    batch_size = 50  # tracking numbers per poll request

    def verify(self, *, body: bytes, headers, secret: str) -> bool:
        """Base64 HMAC-SHA256 of the raw body (AfterShip, Shopify style); override for others."""
        given = headers.get(self.signature_header, "")
        if not secret or not given:
            return False
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, given.strip())

    def parse_webhook(self, payload) -> list[CarrierEvent]:
        raise NotImplementedError

    def fetch(self, *, session, account, tracking_numbers: list[str]) -> list[CarrierEvent]:
        """Events for ``tracking_numbers`` from the carrier's API; raises TransientCarrierError
        or PermanentCarrierError. Adapters without a tracking API leave this unimplemented."""
        raise NotImplementedError(f"the {self.name} adapter cannot poll")

    @property
    def can_poll(self) -> bool:
        return type(self).fetch is not CarrierAdapter.fetch


def check_response(response):
    """Raise the right error for a tracking API answer that is not a success."""
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientCarrierError(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise PermanentCarrierError(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError as exc:
        raise PermanentCarrierError("the tracking API answered with something that is not JSON") from exc


def parse_time(value) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_REGISTRY: dict[str, CarrierAdapter] = {}
_LOADED = False


def register(cls):
    """Class decorator: make the adapter available under its ``name``."""
    _REGISTRY[cls.name] = cls()
    return cls


def _load():
    global _LOADED
    if not _LOADED:
        for module in getattr(settings, "CARRIER_ADAPTER_MODULES", []):
            importlib.import_module(module)
        _LOADED = True


def get_adapter(name: str) -> CarrierAdapter:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no carrier adapter named {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def registered_adapters() -> dict[str, CarrierAdapter]:
    _load()
    return dict(_REGISTRY)
