"""The intake adapter interface and what processing a payload can end in.

An adapter knows one source's format: how its webhooks are signed, how a body splits into
records (a marketplace report has many orders), and how one record's payload becomes calls to
the domain services. Validation rules live in ``profiles``; adapters only translate."""

import base64
import hashlib
import hmac
import importlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings


@dataclass(frozen=True)
class Issue:
    """A warning or an error about one field, naming the rule it broke."""

    field: str
    rule: str
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class IntakeRejected(Exception):
    """The payload cannot be taken in as it is; an agent must fix it (a dead letter)."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("; ".join(f"{i.field}: {i.rule}" for i in issues))


class IntakeDeferred(IntakeRejected):
    """Not yet: something it depends on has not arrived (a fulfillment before its order).
    Retried by the sweeper until ``INTAKE_MAX_ATTEMPTS``, then a dead letter."""


@dataclass
class Outcome:
    warnings: list[Issue] = field(default_factory=list)
    result: dict = field(default_factory=dict)


def money(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


class IntakeAdapter:
    kind = ""
    signature_header = ""
    topic_header = ""
    delivery_id_headers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # the topics this adapter takes; others are acknowledged and dropped

    # --- Receiving ------------------------------------------------------------------------
    def verify(self, *, body: bytes, headers, secret: str) -> bool:
        """Base64 HMAC-SHA256 of the raw body with the channel secret, compared in constant time
        (Shopify's and WooCommerce's scheme)."""
        given = headers.get(self.signature_header, "")
        if not secret or not given:
            return False
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected.encode(), given.strip().encode())

    def is_setup_ping(self, *, body: bytes, headers) -> bool:
        """Whether the request is the source's unsigned check that the URL answers, sent when a
        merchant saves the webhook (answered 200, nothing stored). None by default."""
        return False

    def topic(self, headers) -> str:
        return headers.get(self.topic_header, "") if self.topic_header else ""

    def delivery_id(self, headers) -> str | None:
        for name in self.delivery_id_headers:
            if headers.get(name):
                return headers[name]
        return None

    def split(self, *, body: bytes, filename: str = "") -> list[tuple[str, dict]]:
        """(topic, payload) for each record the body holds; one for a webhook."""
        return [("", json.loads(body))]

    # --- Processing -----------------------------------------------------------------------
    def process(self, *, record, actor: str) -> Outcome:
        raise NotImplementedError

    def impact(self, *, record) -> dict:
        """What a failure of this record costs: ``value`` (order total), ``customer_external_id``
        or ``email`` (to find the customer's tier), ``in_transit`` (a shipment is moving)."""
        return {}


_REGISTRY: dict[str, IntakeAdapter] = {}
_LOADED = False


def register(cls):
    _REGISTRY[cls.kind] = cls()
    return cls


def get_adapter(kind: str) -> IntakeAdapter:
    global _LOADED
    if not _LOADED:
        for module in getattr(settings, "INTAKE_ADAPTER_MODULES", []):
            importlib.import_module(module)
        _LOADED = True
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no intake adapter for {kind!r}") from None
