"""Timing of sends in flight and of sends whose outcome is unknown: the lease a claimed send
holds (longer than its provider call can take, so nobody takes over a call still running), and
when an unknown outcome is looked up at the provider (at once where a look-up can find it, and
conclusively only once the provider has settled). All real time: provider timeouts and indexing
lags do not shrink with a simulation's time scale."""

from collections import defaultdict

from django.conf import settings
from django.utils import timezone


class Leases:
    """In-flight leases for one batch's claims. Calls run first come, first served: on the send
    threads for providers that allow it, else one after another. A call cannot start before the
    calls queued ahead of it on its lane have kept every thread busy, so it starts within their
    total longest duration divided by the threads, and ends within its own longest duration
    after that; plus a margin for composing and recording."""

    def __init__(self, now):
        self.now = now
        self.queued: dict[bool, float] = defaultdict(float)  # per lane: longest durations queued

    def next(self, provider):
        parallel = bool(getattr(provider, "parallel", False))
        threads = max(1, settings.SEND_THREADS) if parallel else 1
        call = provider.call_seconds()
        ahead, self.queued[parallel] = self.queued[parallel], self.queued[parallel] + call
        seconds = ahead / threads + call + settings.DELIVERY_LEASE_MARGIN_SECONDS
        return self.now + timezone.timedelta(seconds=seconds)


def settled_at(provider, *, ended_at):
    """From when a look-up that finds nothing means the provider never accepted the message."""
    return ended_at + timezone.timedelta(seconds=provider.settle_seconds())


def first_lookup_at(provider, *, ended_at):
    """When to ask the provider first: soon where it has a look-up (a find is conclusive at any
    time), else when its receipt wait is over."""
    if not provider.lookup:
        return settled_at(provider, ended_at=ended_at)
    soon = ended_at + timezone.timedelta(seconds=settings.RECONCILE_FIRST_LOOKUP_SECONDS)
    return min(soon, settled_at(provider, ended_at=ended_at))
