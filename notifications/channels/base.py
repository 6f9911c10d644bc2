"""The provider interface: build the payload from an OutboundMessage, send it with an
idempotency key, and answer with one normalised SendResult."""
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum


class SendStatus(str, Enum):
    ACCEPTED = "accepted"      # the provider took it; a receipt may follow
    DELIVERED = "delivered"    # the provider confirmed delivery synchronously (sandbox)
    TRANSIENT = "transient"    # timeouts, 429, 5xx, throttled: retry later
    PERMANENT = "permanent"    # invalid address, 4xx, hard bounce: fall back at once


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


class Provider:
    """One backend per provider. Subclasses set ``name`` and implement ``send``; they must not
    retry on their own (the dispatcher owns retries) and must never raise for a provider answer."""

    name = "base"
    # True when ``send`` may run on several threads at once (an HTTP API with a client per
    # thread, touching no database); the dispatcher then sends a batch side by side.
    parallel = False

    def __init__(self, *, channel: str):
        self.channel = channel

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:  # pragma: no cover
        raise NotImplementedError
