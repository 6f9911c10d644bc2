"""The provider interface: build the payload from an OutboundMessage, send it, and answer with one
normalised SendResult; and, for a send whose outcome nobody knows, look the message up at the
provider (``reconcile``) before anything else is sent for that delivery.

Outcomes of a send:

- ``ACCEPTED`` / ``DELIVERED``: the provider took it (a receipt may follow) / confirmed delivery;
- ``PERMANENT``: refused for good (invalid address, another 4xx): fall back to the next channel;
- ``NOT_SENT``: the request provably never reached the provider, or the provider said it did not
  take it (connection refused, DNS, TLS handshake, connect timeout, 429, 5xx): retried blindly;
- ``UNKNOWN``: the request may have arrived (read timeout, connection dropped after sending, an
  answer that cannot be read): never retried blindly; the delivery is reconciled first.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class SendStatus(StrEnum):
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"
    PERMANENT = "permanent"


@dataclass
class OutboundMessage:
    channel: str
    to: str
    subject: str = ""
    preheader: str = ""
    body_text: str = ""
    body_html: str = ""
    link: str = ""
    from_email: str = ""
    from_name: str = ""
    reply_to: str = ""
    sender_id: str = ""
    headers: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)


@dataclass
class SendResult:
    status: SendStatus
    provider_message_id: str = ""
    error_code: str = ""
    error_text: str = ""
    cost: Decimal | None = None


class Found(StrEnum):
    FOUND = "found"  # the provider holds the message: it was accepted
    NOT_FOUND = "not_found"  # the provider's record does not show it (conclusive after settling)
    UNAVAILABLE = "unavailable"  # the look-up itself failed: try again later
    NO_LOOKUP = "no_lookup"  # this provider cannot be asked: wait for a receipt, then send again


@dataclass
class Lookup:
    """What identifies one delivery's message at the provider: Waypost's reference (the
    delivery id, sent as metadata, ``client-ref`` or in the status callback URL), the
    recipient, when the first uncertain attempt started, and the digests of the bodies sent
    (for providers that can only be matched on the text)."""

    delivery_id: int
    channel: str
    to: str
    since: datetime
    type_key: str = ""
    sender: str = ""
    body_digests: tuple[str, ...] = ()


@dataclass
class Reconciliation:
    found: Found
    provider_message_id: str = ""
    copies: int = 0  # how many the provider holds (more than one: it was already sent twice)
    delivered: bool = False  # the provider's record says delivered, not only accepted
    error_text: str = ""


class Provider:
    """One backend per provider. Subclasses set ``name`` and implement ``send``; they must not
    retry on their own (the dispatcher owns retries) and must never raise for a provider answer.
    Those that can look a message up implement ``reconcile``."""

    name = "base"
    # True when ``send`` may run on several threads at once (an HTTP API with a client per
    # thread, touching no database); the dispatcher then sends a batch side by side.
    parallel = False
    # True when ``reconcile`` can ask the provider (else it only waits for a receipt), and when
    # that look-up matches on the text sent (the dispatcher then keeps each attempt's body digest).
    lookup = False
    matches_body = False

    def __init__(self, *, channel: str):
        self.channel = channel

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:  # pragma: no cover
        raise NotImplementedError

    def call_seconds(self) -> float:
        """The longest one ``send`` can take (connect and read timeouts and what the SDK does
        around them): an in-flight attempt's lease is never shorter."""
        return 30.0

    def settle_seconds(self) -> float:
        """How long after a call ended the provider's record may still not show a message it
        accepted (its look-up's indexing lag, or the wait for a receipt where it has no
        look-up): a look-up that finds nothing is conclusive only after this."""
        from django.conf import settings

        return float(settings.RECONCILE_SETTLE_SECONDS.get(self.name, settings.RECONCILE_SETTLE_DEFAULT))

    def reconcile(self, lookup: Lookup) -> Reconciliation:
        """Ask the provider whether it holds the delivery's message."""
        return Reconciliation(Found.NO_LOOKUP)


def body_digest(text: str) -> str:
    """The digest of a text as a provider stores it (surrounding white space ignored)."""
    import hashlib

    return hashlib.sha256(text.strip().encode()).hexdigest()
