"""What the providers accepted, counted where the customer is: per delivery, how many messages
the provider holds. The figures of ``simulate``, ``make bench`` and ``make chaos`` (duplicates,
lost) come from here, never from Waypost's own tables, which cannot see a message the provider
took twice.

Sources, per provider a delivery's attempts went through:

- the sandbox: its outbox (every message it took is a row, repeats included);
- a provider whose API address answers ``GET /_fake/accepted`` (the fake providers the tests,
  bench and chaos runs use): its ledger of accepted messages by Waypost's reference;
- any other provider with a look-up (Postmark, Mailgun, Twilio): that look-up, per delivery;
- otherwise (Vonage, Web Push, SMTP, ESPs without a look-up here): not measurable, said so.
"""

from collections import Counter
from dataclasses import dataclass, field

import requests
from django.conf import settings

from channels import provider_named
from channels.base import Found, Lookup
from channels.models import SandboxMessage
from notifications.models import Delivery, DeliveryAttempt


def fake_address(provider: str) -> tuple[str, object] | None:
    """The API root of ``provider`` as configured, and the TLS trust to reach it, when it is one
    of the fake providers (asked, not guessed: it answers ``/_fake/accepted``)."""
    anymail = getattr(settings, "ANYMAIL", {})
    roots = {
        "postmark": (anymail.get("POSTMARK_API_URL", ""), True),
        "mailgun": (anymail.get("MAILGUN_API_URL", "").removesuffix("/").removesuffix("/v3"), True),
        "twilio": (settings.TWILIO_API_BASE, True),
        "vonage": (
            f"https://{settings.VONAGE_REST_HOST}" if settings.VONAGE_CA_BUNDLE else "",
            settings.VONAGE_CA_BUNDLE or True,
        ),
    }
    root, verify = roots.get(provider, ("", True))
    if not root or not root.startswith(("http://127.", "http://localhost", "https://127.", "https://localhost")):
        return None
    return root.rstrip("/"), verify


def _fake_ledger(provider: str) -> Counter | None:
    address = fake_address(provider)
    if address is None:
        return None
    root, verify = address
    try:
        response = requests.get(f"{root}/_fake/accepted", timeout=30, verify=verify)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    return Counter(
        {int(ref): n for ref, n in (response.json().get("by_reference") or {}).items() if str(ref).isdigit()}
    )


@dataclass
class Ledger:
    copies: Counter = field(default_factory=Counter)  # delivery id -> messages the provider holds
    unmeasured: dict[str, str] = field(default_factory=dict)  # provider -> why it was not counted
    unmeasured_ids: set[int] = field(default_factory=set)  # deliveries one of those providers had


def accepted_copies(deliveries: list[Delivery]) -> Ledger:
    """Messages each delivery has at its provider(s), and the providers that could not be
    counted, with why. A delivery is counted at every provider one of its attempts used."""
    ledger = Ledger()
    copies, unmeasured = ledger.copies, ledger.unmeasured
    used: dict[str, set[int]] = {}
    for delivery_id, provider in (
        DeliveryAttempt.objects.filter(delivery__in=[d.pk for d in deliveries])
        .values_list("delivery_id", "provider")
        .distinct()
    ):
        used.setdefault(provider, set()).add(delivery_id)
    by_id = {d.pk: d for d in deliveries}
    for provider, ids in used.items():
        if provider == "sandbox":
            copies.update(
                Counter(SandboxMessage.objects.filter(delivery_id__in=ids).values_list("delivery_id", flat=True))
            )
            continue
        fake = _fake_ledger(provider)
        if fake is not None:
            copies.update({i: fake[i] for i in ids if fake[i]})
            continue
        backend = provider_named(next(iter(by_id[i] for i in ids)).channel, provider)
        if not backend.lookup:
            unmeasured[provider] = "the provider has no look-up of sent messages"
            ledger.unmeasured_ids |= ids
            continue
        for i in ids:
            d = by_id[i]
            first = d.attempts.order_by("number").first()
            digests = tuple(d.attempts.exclude(body_digest="").values_list("body_digest", flat=True))
            answer = backend.reconcile(
                Lookup(
                    delivery_id=d.pk,
                    channel=d.channel,
                    to=d.to,
                    since=first.started_at,
                    sender=d.notification.brand.sender_email if d.notification.brand else "",
                    body_digests=digests,
                )
            )
            if answer.found == Found.UNAVAILABLE:
                unmeasured[provider] = f"look-up failed: {answer.error_text}"
                ledger.unmeasured_ids |= ids
                break
            copies[i] += answer.copies if answer.found == Found.FOUND else 0
    return ledger
