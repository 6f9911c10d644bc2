"""A send batch's provider calls: each claimed message to its provider, side by side on this
process's send threads where the provider allows it (else one after another), every answer
yielded as it comes back; a call is made only if it can still end within its lease, and a call
that raised is read as not sent or unknown (``channels.outcomes``)."""

import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.template import TemplateSyntaxError
from django.utils import timezone

from channels import provider_named
from channels.base import OutboundMessage, SendResult, SendStatus, body_digest
from channels.outcomes import failed_call
from channels.ratelimit import StartTooLate
from core.bulk import update_rows
from notifications.models import Delivery, DeliveryAttempt


@dataclass
class Claim:
    delivery: Delivery
    attempt: DeliveryAttempt


_pool: dict = {"pid": None, "executor": None}


_pool_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The send threads of this process (made after a fork, never inherited from the parent)."""
    with _pool_lock:
        if _pool["pid"] != os.getpid():
            _pool["executor"] = ThreadPoolExecutor(max_workers=settings.SEND_THREADS, thread_name_prefix="waypost-send")
            _pool["pid"] = os.getpid()
        return _pool["executor"]


def _provider_call(claim: Claim, message) -> tuple[Claim, SendResult, int]:
    started = time.monotonic()
    if isinstance(message, (LookupError, TemplateSyntaxError)):  # no usable template: this channel cannot carry it
        result = SendResult(SendStatus.PERMANENT, error_code="template", error_text=str(message))
    elif isinstance(message, Exception):  # composing failed before any call: retried with backoff
        result = SendResult(SendStatus.NOT_SENT, error_code=message.__class__.__name__, error_text=str(message))
    else:
        provider = provider_named(claim.delivery.channel, claim.attempt.provider)
        # The call must end within the lease: it may not start later than this (monotonic clock).
        left = (claim.delivery.lease_until - timezone.now()).total_seconds()
        start_by = started + left - provider.call_seconds() - settings.DELIVERY_LEASE_MARGIN_SECONDS / 2
        message.metadata["start_by"] = start_by
        try:
            if time.monotonic() > start_by:
                raise StartTooLate("the send could not start within its lease (the send threads were busy)")
            result = provider.send(message, idempotency_key=claim.attempt.idempotency_key)
        except StartTooLate as exc:  # not started: nothing went out
            result = SendResult(SendStatus.NOT_SENT, error_code="start_too_late", error_text=str(exc))
        except Exception as exc:  # a provider bug or a network failure: never lose the delivery
            result = failed_call(exc)
    return claim, result, int((time.monotonic() - started) * 1000)


def _keep_body_digests(claims: list[Claim], messages: list) -> None:
    """Before calling, keep the digest of the text each attempt sends where the provider's
    look-up can only match on it (one write, and only for such providers)."""
    attempts = []
    for claim, message in zip(claims, messages, strict=False):
        if (
            isinstance(message, OutboundMessage)
            and provider_named(claim.delivery.channel, claim.attempt.provider).matches_body
        ):
            claim.attempt.body_digest = body_digest(message.body_text)
            attempts.append(claim.attempt)
    update_rows(attempts, ["body_digest"])


def _calls(claims: list[Claim], messages: list):
    """Each claim's provider call, yielded as it finishes: calls to providers that allow it on
    the send threads, the others one after another on this thread meanwhile. ``None`` is
    yielded when nothing came back for ``SEND_RECORD_EVERY_SECONDS`` (a chance to record)."""
    parallel = [
        i
        for i, c in enumerate(claims)
        if getattr(provider_named(c.delivery.channel, c.attempt.provider), "parallel", False)
    ]
    if len(parallel) < 2 or settings.SEND_THREADS < 2:
        parallel = []
    finished: queue.SimpleQueue = queue.SimpleQueue()
    for i in parallel:
        executor().submit(_provider_call, claims[i], messages[i]).add_done_callback(finished.put)
    chosen, waiting = set(parallel), len(parallel)
    for i, claim in enumerate(claims):
        if i not in chosen:
            yield _provider_call(claim, messages[i])
    while waiting:
        try:
            future = finished.get(timeout=settings.SEND_RECORD_EVERY_SECONDS)
        except queue.Empty:
            yield None
            continue
        waiting -= 1
        yield future.result()
