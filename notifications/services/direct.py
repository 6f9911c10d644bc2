"""Direct notifications: a message that is not planned from an event by the rules but written
before it is queued, to one explicit address on one channel: a template studio test send, the
automatic answer to a text a customer sent us.

How they fit the pipeline:
- the cause is recorded as an Event that is processed already (``studio.test_send``,
  ``inbound.<keyword>``), as the console's one-off and the daily digest do: every notification
  hangs on an event, and the customer's timeline shows why it was sent;
- the message is kept in ``Notification.content`` (subject, preheader, body_text, body_html,
  link); compose uses it instead of a template, and still wraps an email in the brand layout and
  gives an SMS the brand's sender, unless ``content["sender"]`` names the sender (an answer goes
  out from the number it was sent to) and ``content["provider"]`` the provider (the one the text
  came in by);
- its one Delivery then goes through the dispatcher like any other: suppressed addresses and
  withdrawn consent (except for an answer to a text: ``sms_policy``), an attempt row per provider
  call, retries with backoff, reconciliation of unknown outcomes, receipts, dead letters;
- the types are transactional (critical: no per-type opt-out, quiet hours, cap or digest holds
  them), and the customer is None when the number that texted us belongs to none (the brand too,
  when nothing tells which one it was).
"""

from django.db import transaction
from django.utils import timezone

from catalogue.models import NotificationType
from customers.models import Customer
from notifications.models import Delivery, Event, Notification
from notifications.queueing import deliveries_enqueue_on_commit

CONTENT_FIELDS = ("subject", "preheader", "body_text", "body_html", "link")
ROUTE_FIELDS = ("provider", "sender", "in_reply_to")


def direct_notification_send(
    *,
    type_key: str,
    channel: str,
    to: str,
    content: dict,
    dedupe_key: str,
    cause: str,
    subject: tuple[str, int],
    payload: dict | None = None,
    customer: Customer | None = None,
    brand=None,
    language: str = "en",
) -> Notification:
    """Create the notification of ``type_key`` carrying ``content`` and its one delivery to ``to``
    on ``channel``, with the processed event ``cause`` about ``subject`` (kind, id); queue the
    delivery once the transaction commits. Idempotent on ``dedupe_key``: a second call returns
    the notification made by the first and sends nothing more."""
    unknown = set(content) - set(CONTENT_FIELDS) - set(ROUTE_FIELDS)
    if unknown:
        raise ValueError(f"Not message fields: {', '.join(sorted(unknown))}")
    if not to:
        raise ValueError("A direct notification needs an address to go to.")
    ntype = NotificationType.objects.get(key=type_key)
    brand_id = brand.pk if brand is not None else customer.brand_id if customer is not None else None
    now = timezone.now()
    with transaction.atomic():
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        kind, subject_id = subject
        event = Event.objects.create(
            type=cause,
            subject_type=kind,
            subject_id=subject_id,
            brand_id=brand_id,
            customer=customer,
            payload={"event": cause, **(payload or {})},
            processed_at=now,
        )
        notification = Notification.objects.create(
            dedupe_key=dedupe_key,
            customer=customer,
            brand_id=brand_id,
            notification_type=ntype,
            event=event,
            subject_key=f"{kind}:{subject_id}",
            language=language,
            channels=[channel],
            priority=1,
            send_after=now,
            content=content,
        )
        delivery = Delivery.objects.create(notification=notification, channel=channel, to=to, send_after=now)
        deliveries_enqueue_on_commit([delivery])
    return notification
