"""Looking a sent email up at the ESP, by the delivery id Waypost sends as metadata: Postmark's
outbound message search and Mailgun's events API, called with the anymail backend's own
credentials, URL and HTTP session. A message found was accepted; none found is conclusive only
once the ESP has settled (``RECONCILE_SETTLE_SECONDS``: their indexes lag behind sends)."""

from datetime import timedelta

from channels.base import Found, Lookup, Reconciliation

PAGE = 50
MAX_PAGES = 10


def _matches(metadata, lookup: Lookup) -> bool:
    return str((metadata or {}).get("delivery_id", "")) == str(lookup.delivery_id)


def postmark(connection, lookup: Lookup, *, timeout: float) -> Reconciliation:
    """``GET /messages/outbound`` filtered by recipient and ``metadata_delivery_id``. Postmark
    reads ``fromdate`` in its own time zone (US Eastern): a day earlier covers it."""
    found = []
    for page in range(MAX_PAGES):
        response = connection.session.get(
            f"{connection.api_url}messages/outbound",
            params={
                "count": PAGE,
                "offset": page * PAGE,
                "recipient": lookup.to,
                "fromdate": (lookup.since - timedelta(days=1)).strftime("%Y-%m-%d"),
                "metadata_delivery_id": str(lookup.delivery_id),
            },
            headers={"Accept": "application/json", "X-Postmark-Server-Token": connection.server_token},
            timeout=timeout,
        )
        if response.status_code != 200:
            return Reconciliation(Found.UNAVAILABLE, error_text=f"Postmark search: HTTP {response.status_code}")
        messages = response.json().get("Messages") or []
        found += [m for m in messages if _matches(m.get("Metadata"), lookup)]
        if len(messages) < PAGE:
            break
    if not found:
        return Reconciliation(Found.NOT_FOUND)
    return Reconciliation(Found.FOUND, provider_message_id=str(found[0].get("MessageID", "")), copies=len(found))


def mailgun(connection, lookup: Lookup, *, timeout: float) -> Reconciliation:
    """``GET /<domain>/events?event=accepted`` for the recipient since the first attempt, matched
    on the ``delivery_id`` user variable."""
    domain = connection.sender_domain or lookup.sender.rpartition("@")[2]
    url = f"{connection.api_url}{domain}/events"
    params = {
        "event": "accepted",
        "recipient": lookup.to,
        "begin": f"{lookup.since.timestamp():.0f}",
        "ascending": "yes",
        "limit": 300,
    }
    found = []
    for _page in range(MAX_PAGES):
        response = connection.session.get(url, params=params, auth=("api", connection.api_key), timeout=timeout)
        if response.status_code != 200:
            return Reconciliation(Found.UNAVAILABLE, error_text=f"Mailgun events: HTTP {response.status_code}")
        body = response.json()
        items = body.get("items") or []
        found += [i for i in items if _matches(i.get("user-variables"), lookup)]
        next_url = (body.get("paging") or {}).get("next")
        if not items or not next_url or next_url == url:
            break
        url, params = next_url, None
    if not found:
        return Reconciliation(Found.NOT_FOUND)
    message_id = ((found[0].get("message") or {}).get("headers") or {}).get("message-id", "")
    return Reconciliation(Found.FOUND, provider_message_id=f"<{message_id}>" if message_id else "", copies=len(found))


LOOKUPS = {"postmark": postmark, "mailgun": mailgun}
