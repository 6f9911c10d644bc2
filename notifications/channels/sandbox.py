"""The sandbox provider for every channel: records the rendered message in the database (the
admin's "Sandbox outbox") and can be told to fail a share of sends or add latency."""
import random
import time

from django.db import IntegrityError

from ..models import PipelineSettings, SandboxMessage
from .base import OutboundMessage, Provider, SendResult, SendStatus

# Addresses the sandbox treats as permanently undeliverable (to exercise fallback).
INVALID_MARKERS = ("@invalid.example", "+1500555")


class SandboxProvider(Provider):
    name = "sandbox"

    def send(self, message: OutboundMessage, *, idempotency_key: str) -> SendResult:
        knobs = PipelineSettings.current()
        if knobs.sandbox_latency_ms:
            time.sleep(knobs.sandbox_latency_ms / 1000)
        if any(marker in message.to for marker in INVALID_MARKERS):
            return SendResult(SendStatus.PERMANENT, error_code="invalid_recipient",
                              error_text=f"{message.to} is not a deliverable address")
        if knobs.sandbox_fail_rate and random.random() < knobs.sandbox_fail_rate:
            return SendResult(SendStatus.TRANSIENT, error_code="sandbox_unavailable",
                              error_text="Sandbox told to fail this send (fail rate)")
        try:
            record = SandboxMessage.objects.create(
                channel=self.channel, to=message.to, subject=message.subject, body_text=message.body_text,
                body_html=message.body_html, link=message.link, metadata=message.metadata,
                idempotency_key=idempotency_key, delivery_id=message.metadata.get("delivery_id"),
            )
        except IntegrityError:
            # The same attempt again (a retry after a crash): the provider recognises it.
            record = SandboxMessage.objects.get(idempotency_key=idempotency_key)
        return SendResult(SendStatus.DELIVERED, provider_message_id=f"sbx-{record.pk}", cost=self._price(message))

    def _price(self, message: OutboundMessage):
        """What the message would have cost through Vonage (``SMS_PRICES``): SMS only, so the
        KPI dashboard's cost per SMS has figures in a sandbox run too."""
        if self.channel != "sms":
            return None
        import phonenumbers

        from ..sms_encoding import estimated_cost

        try:
            country = phonenumbers.region_code_for_number(phonenumbers.parse(message.to)) or ""
        except phonenumbers.NumberParseException:
            country = ""
        return estimated_cost(message.body_text, provider="vonage", country=country)
