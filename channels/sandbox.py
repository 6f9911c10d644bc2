"""The sandbox provider for every channel: records the rendered message in the database (the
admin's "Sandbox outbox") and answers like a provider, faults included.

Like most real providers it takes no idempotency key: a second send of the same delivery is a
second message in the outbox, so a repeat is visible where the customer would see it
(``SANDBOX_IDEMPOTENT`` makes it recognise a repeated attempt key instead). Its faults come from
the settings of the process that sends (``SANDBOX_FAIL_RATE``: refused, not sent;
``SANDBOX_UNKNOWN_RATE``: recorded, then answered as a dropped connection; ``SANDBOX_LATENCY_MS``).
Its look-up is its outbox, by the delivery's reference."""

import random
import time

from django.conf import settings

from channels.base import Found, Lookup, OutboundMessage, Provider, Reconciliation, SendResult, SendStatus
from channels.models import SandboxMessage

# Addresses the sandbox treats as permanently undeliverable (to exercise fallback).
INVALID_MARKERS = ("@invalid.example", "+1500555")


class SandboxProvider(Provider):
    name = "sandbox"
    lookup = True

    def call_seconds(self) -> float:
        return 1.0 + settings.SANDBOX_LATENCY_MS / 1000  # a row written in the database

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        if settings.SANDBOX_LATENCY_MS:
            time.sleep(settings.SANDBOX_LATENCY_MS / 1000)
        if any(marker in message.to for marker in INVALID_MARKERS):
            return SendResult(
                SendStatus.PERMANENT,
                error_code="invalid_recipient",
                error_text=f"{message.to} is not a deliverable address",
            )
        if settings.SANDBOX_FAIL_RATE and random.random() < settings.SANDBOX_FAIL_RATE:
            return SendResult(
                SendStatus.NOT_SENT,
                error_code="sandbox_unavailable",
                error_text="Sandbox told to refuse this send (SANDBOX_FAIL_RATE)",
            )
        record = None
        if settings.SANDBOX_IDEMPOTENT:
            record = SandboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if record is None:
            record = SandboxMessage.objects.create(
                channel=self.channel,
                to=message.to,
                subject=message.subject,
                body_text=message.body_text,
                body_html=message.body_html,
                link=message.link,
                metadata=message.metadata,
                idempotency_key=idempotency_key,
                delivery_id=message.metadata.get("delivery_id"),
            )
        if settings.SANDBOX_UNKNOWN_RATE and random.random() < settings.SANDBOX_UNKNOWN_RATE:
            return SendResult(
                SendStatus.UNKNOWN,
                error_code="sandbox_dropped",
                error_text="Sandbox took the message, then dropped the connection (SANDBOX_UNKNOWN_RATE)",
            )
        return SendResult(SendStatus.DELIVERED, provider_message_id=f"sbx-{record.pk}", cost=self._price(message))

    def reconcile(self, lookup: Lookup) -> Reconciliation:
        ids = list(
            SandboxMessage.objects.filter(delivery_id=lookup.delivery_id, channel=lookup.channel)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not ids:
            return Reconciliation(Found.NOT_FOUND)
        return Reconciliation(Found.FOUND, provider_message_id=f"sbx-{ids[0]}", copies=len(ids), delivered=True)

    def _price(self, message: OutboundMessage):
        """What the message would have cost through Vonage (``SMS_PRICES``): SMS only, so the
        KPI dashboard's cost per SMS has figures in a sandbox run too."""
        if self.channel != "sms":
            return None
        import phonenumbers

        from catalogue.sms_encoding import estimated_cost

        try:
            country = phonenumbers.region_code_for_number(phonenumbers.parse(message.to)) or ""
        except phonenumbers.NumberParseException:
            country = ""
        return estimated_cost(message.body_text, provider="vonage", country=country)
