"""The fake ESP's read endpoints, answered from its ledger of accepted messages in the shapes the
real APIs document, so a client written against the real docs works unchanged:

- Postmark's outbound message search, ``GET /messages/outbound?count=&offset=`` (both required;
  count at most 500, count + offset at most 10,000) with the optional filters ``recipient``,
  ``fromemail``, ``tag``, ``status``, ``subject``, ``messagestream``, ``fromdate``, ``todate`` and
  ``metadata_<key>=<value>``; ``X-Postmark-Server-Token`` required (401, ErrorCode 10). As at
  Postmark, dates without an offset are US Eastern time, ``ReceivedAt`` is given in Eastern time,
  and the newest message comes first.
- Mailgun's events API, ``GET /v3/<domain>/events?event=accepted&recipient=&begin=&end=
  &ascending=yes|no&limit=`` (also ``to``, ``from``, ``subject``, ``message-id``, ``tags``;
  ``event`` may be ``a OR b``), basic auth ``api:<key>`` required (401). One ``accepted`` event per
  recipient; ``begin``/``end`` in epoch seconds or RFC 2822; paging URLs
  (``/v3/<domain>/events/<page>``) in ``paging``. As at Mailgun, the event's
  ``message.headers.message-id`` is the id the send answered without its angle brackets, and
  ``user-variables`` are returned but cannot be filtered on."""

import base64
import datetime as dt
import email.utils
import hashlib
import json
import urllib.parse
from zoneinfo import ZoneInfo

from tests.fakes.faults import Accepted, Ledger

EASTERN = ZoneInfo("America/New_York")  # Postmark's API time zone
POSTMARK_NO_TOKEN = {
    "ErrorCode": 10,
    "Message": "No Account or Server API tokens were supplied in "
    "the HTTP headers. Please add a header for either X-Postmark-Server-Token "
    "or X-Postmark-Account-Token.",
}
MAILGUN_DEFAULT_LIMIT, MAILGUN_MAX_LIMIT = 100, 300


# --- Postmark ------------------------------------------------------------------------------------


def _eastern_bound(value: str, *, upper: bool) -> float:
    """A ``fromdate``/``todate`` as epoch seconds: a date is the whole day (its start, or with
    ``upper`` its end); a date-time without an offset is Eastern time, as Postmark reads it."""
    if len(value) == 10:
        day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=EASTERN)
        return (day + dt.timedelta(days=1)).timestamp() - 1e-6 if upper else day.timestamp()
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=EASTERN)).timestamp()


def _addresses(value) -> list[dict]:
    values = value if isinstance(value, list) else [value or ""]
    return [{"Email": address, "Name": name} for name, address in email.utils.getaddresses(values) if address]


def postmark_search(ledger: Ledger, query: dict, headers) -> tuple[int, dict]:
    if not headers.get("X-Postmark-Server-Token"):
        return 401, POSTMARK_NO_TOKEN
    try:
        count, offset = int(query["count"]), int(query["offset"])
    except (KeyError, ValueError):
        return 422, {"ErrorCode": 422, "Message": "The 'count' and 'offset' parameters are required integers."}
    if not 0 < count <= 500 or offset < 0 or count + offset > 10_000:
        return 422, {"ErrorCode": 422, "Message": "count is 1 to 500, and count + offset at most 10,000."}
    try:
        low = _eastern_bound(query["fromdate"], upper=False) if query.get("fromdate") else None
        high = _eastern_bound(query["todate"], upper=True) if query.get("todate") else None
    except ValueError as exc:
        return 422, {"ErrorCode": 422, "Message": f"Invalid date: {exc}"}
    metadata = {k[len("metadata_") :]: v for k, v in query.items() if k.startswith("metadata_")}
    found = [m for m in reversed(ledger.messages("postmark")) if _postmark_matches(m, query, metadata, low, high)]
    return 200, {"TotalCount": len(found), "Messages": [_postmark_message(m) for m in found[offset : offset + count]]}


def _postmark_matches(entry: Accepted, query: dict, metadata: dict, low, high) -> bool:
    d = entry.detail
    recipients = {a["Email"].lower() for name in ("To", "Cc", "Bcc") for a in _addresses(d.get(name))}
    senders = {a["Email"].lower() for a in _addresses(d.get("From"))}
    stream = d.get("MessageStream", "outbound")
    return (
        (not query.get("recipient") or query["recipient"].lower() in recipients)
        and (not query.get("fromemail") or query["fromemail"].lower() in senders)
        and (not query.get("tag") or query["tag"] == d.get("Tag"))
        and (not query.get("status") or query["status"].lower() == "sent")
        and (not query.get("subject") or query["subject"] == d.get("Subject"))
        and (not query.get("messagestream") or query["messagestream"] == stream)
        and all(str((d.get("Metadata") or {}).get(k)) == v for k, v in metadata.items())
        and (low is None or entry.at >= low)
        and (high is None or entry.at <= high)
    )


def _postmark_message(entry: Accepted) -> dict:
    d = entry.detail
    to, cc, bcc = _addresses(d.get("To")), _addresses(d.get("Cc")), _addresses(d.get("Bcc"))
    return {
        "MessageID": entry.id,
        "To": to,
        "Cc": cc,
        "Bcc": bcc,
        "Recipients": [a["Email"] for a in to + cc + bcc],
        "ReceivedAt": dt.datetime.fromtimestamp(entry.at, EASTERN).isoformat(),
        "From": d.get("From", ""),
        "Subject": d.get("Subject", ""),
        "Tag": d.get("Tag", ""),
        "Status": "Sent",
        "TrackOpens": False,
        "TrackLinks": "None",
        "Metadata": d.get("Metadata") or {},
        "Attachments": [],
        "MessageStream": d.get("MessageStream", "outbound"),
        "Sandboxed": False,
    }


# --- Mailgun -------------------------------------------------------------------------------------


def _epoch(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return email.utils.parsedate_to_datetime(value).timestamp()


def _mailgun_authenticated(headers) -> bool:
    header = headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    user, _, key = base64.b64decode(header[6:]).decode(errors="replace").partition(":")
    return user == "api" and bool(key)


def _page_token(query: dict, offset: int) -> str:
    data = json.dumps({"q": query, "o": offset}).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _from_page_token(token: str) -> tuple[dict, int]:
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return data["q"], int(data["o"])


def mailgun_events(
    ledger: Ledger, *, domain: str, query: dict, headers, base_url: str, page: str = ""
) -> tuple[int, dict]:
    if not _mailgun_authenticated(headers):
        return 401, {"message": "Forbidden"}
    offset = 0
    try:
        if page:
            query, offset = _from_page_token(page)
        limit = min(int(query.get("limit") or MAILGUN_DEFAULT_LIMIT), MAILGUN_MAX_LIMIT)
        begin = _epoch(query["begin"]) if query.get("begin") else None
        end = _epoch(query["end"]) if query.get("end") else None
    except (ValueError, TypeError, KeyError) as exc:
        return 400, {"message": f"Invalid parameter: {exc}"}
    if query.get("ascending") in ("yes", "no"):
        ascending = query["ascending"] == "yes"
    else:
        ascending = begin is not None and end is not None and begin <= end
    if begin is not None and end is not None:
        low, high = min(begin, end), max(begin, end)
    else:  # one bound: where the traversal starts (begin) or stops (end), in its direction
        low, high = (begin, end) if ascending else (end, begin)
    events = [
        e
        for m in ledger.messages("mailgun")
        if m.detail["domain"] == domain
        for e in _mailgun_events(m)
        if _mailgun_matches(e, query, low, high)
    ]
    events.sort(key=lambda e: e["timestamp"], reverse=not ascending)

    def url(at: int) -> str:
        return f"{base_url}/v3/{domain}/events/{_page_token(query, max(at, 0))}"

    paging = {
        "first": url(0),
        "last": url(len(events) - limit),
        "next": url(offset + limit),
        "previous": url(offset - limit),
    }
    return 200, {"items": events[offset : offset + limit], "paging": paging}


def _mailgun_events(entry: Accepted) -> list[dict]:
    d = entry.detail
    headers = {"to": entry.to, "message-id": entry.id.strip("<>"), "from": d["from"], "subject": d["subject"]}

    def event_id(rcpt: str) -> str:
        digest = hashlib.sha1(f"{entry.id}/{rcpt}".encode()).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    return [
        {
            "event": "accepted",
            "id": event_id(rcpt),
            "timestamp": entry.at,
            "log-level": "info",
            "method": "HTTP",
            "recipient": rcpt,
            "recipient-domain": rcpt.rpartition("@")[2],
            "envelope": {"sender": d["sender"], "targets": rcpt, "transport": "smtp"},
            "flags": {"is-authenticated": True, "is-test-mode": False},
            "message": {"headers": headers, "attachments": [], "size": d["size"]},
            "tags": d["tags"],
            "user-variables": d["user_variables"],
        }
        for rcpt in d["recipients"]
    ]


def _mailgun_matches(event: dict, query: dict, low, high) -> bool:
    headers = event["message"]["headers"]
    kinds = {kind.strip().lower() for kind in query.get("event", "").split(" OR ") if kind.strip()}
    recipient = query.get("recipient", "").lower()
    message_id = query.get("message-id", "").strip("<>")
    return (
        (not kinds or event["event"] in kinds)
        and (not recipient or recipient == event["recipient"].lower())
        and (not query.get("to") or query["to"].lower() in headers["to"].lower())
        and (not query.get("from") or query["from"].lower() in headers["from"].lower())
        and (not query.get("subject") or query["subject"] == headers["subject"])
        and (not message_id or message_id == headers["message-id"])
        and (not query.get("tags") or query["tags"] in event["tags"])
        and (low is None or event["timestamp"] >= low)
        and (high is None or event["timestamp"] <= high)
    )


def mailgun_detail(form: dict, domain: str, raw_size: int) -> dict:
    """What the events API needs of a Mailgun send (its form fields)."""

    def values(name):
        value = form.get(name) or []
        return value if isinstance(value, list) else [value]

    addressed = values("to") + values("cc") + values("bcc")
    recipients = [address for _, address in email.utils.getaddresses(addressed) if address]
    sender = (email.utils.getaddresses(values("from")) or [("", "")])[0][1]
    return {
        "domain": domain,
        "recipients": recipients,
        "sender": sender,
        "from": ", ".join(values("from")),
        "subject": form.get("subject", ""),
        "tags": values("o:tag"),
        "size": raw_size,
        "user_variables": {k[2:]: v for k, v in form.items() if k.startswith("v:")},
    }


def split_query(path: str) -> tuple[str, dict]:
    parts = urllib.parse.urlsplit(path)
    return parts.path, dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
