"""What providers tell Waypost, in one normalised shape: a ``Receipt`` (a delivery report, a
bounce, an open, an unsubscribe) or an inbound message, sent as a signal by the webhook that
verified and parsed it. The pipeline receives them (``notifications.receivers``), as anymail's
tracking signal works: channels know nothing of the pipeline. A receiver that raises makes the
webhook answer 5xx, so the provider sends it again."""

from dataclasses import dataclass, field

from django.dispatch import Signal

# Normalised receipt kinds.
DELIVERED, BOUNCED, FAILED, REJECTED, EXPIRED = "delivered", "bounced", "failed", "rejected", "expired"
COMPLAINED, OPENED, CLICKED, UNSUBSCRIBED = "complained", "opened", "clicked", "unsubscribed"
READ = "read"  # a chat message (WhatsApp) read by its recipient: delivered, and read
QUEUED, SENT, DEFERRED, UNKNOWN = "queued", "sent", "deferred", "unknown"
FAILURE_KINDS = {BOUNCED, FAILED, REJECTED, EXPIRED}
# Receipts only a provider holding the message can send.
ARRIVED_KINDS = {DELIVERED, READ, QUEUED, SENT, DEFERRED, *FAILURE_KINDS, COMPLAINED, OPENED, CLICKED}


@dataclass
class Receipt:
    provider: str
    event_id: str
    kind: str
    provider_message_id: str = ""
    delivery_id: int | None = None  # Waypost's reference, when the provider echoes it
    recipient: str = ""
    # When it happened by the provider's own clock, only where that clock is trustworthy (see
    # README, "Receipt times"); None: when the receipt reached us.
    occurred_at: object = None
    detail: str = ""
    cost: object = None
    hard: bool = True  # for bounces: hard (permanent) or soft
    payload: dict = field(default_factory=dict)


@dataclass
class Inbound:
    """A message a customer sent us (SMS or WhatsApp)."""

    provider: str
    message_id: str
    from_number: str
    to_number: str = ""
    text: str = ""
    channel: str = "sms"


# receipt_received.send(sender=<provider name>, receipt=Receipt)
receipt_received = Signal()
# inbound_received.send(sender=<provider name>, inbound=Inbound)
inbound_received = Signal()
