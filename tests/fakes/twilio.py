"""A fake Twilio REST API on 127.0.0.1, answering like Twilio:

- ``POST /2010-04-01/Accounts/<sid>/Messages.json`` sends. Modes: ``ok``; ``throttled`` (429, code
  20429); ``error500`` (500); ``invalid`` (400, code 21211); ``not_mobile`` (400, code 21614);
  ``hang`` and ``drop`` (accepted, answered late or never). Numbers starting with ``+1500555`` are
  invalid. Each accepted message goes into the ledger under the ``delivery`` query parameter of its
  ``StatusCallback`` URL (``.../webhooks/twilio/status/?delivery=123``).
- ``GET /2010-04-01/Accounts/<sid>/Messages.json?To=&From=&DateSent>=&DateSent<=&DateSent=``
  ``&PageSize=&Page=`` lists the accepted messages, newest first, as Twilio's list resource does
  (``messages`` plus the ``next_page_uri``/``page``/``page_size``... paging keys), so the twilio
  SDK's ``client.messages.list(to=..., date_sent_after=datetime)`` works unchanged;
  ``GET .../Messages/<sid>.json`` fetches one (``client.messages(sid).fetch()``). Basic auth
  (``<sid>:<token>``) is required (401, code 20003). The fake sends at once: a listed message is
  ``sent`` with a ``date_sent`` (a real one has ``date_sent`` null while it is still queued).

Faults, the ledger and the control endpoints: see ``base.py`` and ``faults.py``. In-process:
``FakeTwilio.create().start()``, ``.base_url`` for ``TWILIO_API_BASE``. As a process:
``python -m tests.fakes.twilio --port 8025 [--faults hang=0.1,drop=0.05 --hang-seconds 6]``."""

import base64
import datetime as dt
import urllib.parse
import uuid
from email.utils import format_datetime

from tests.fakes.base import FakeServer, Recorded, serve_forever_main
from tests.fakes.faults import Accepted

ERRORS = {
    "throttled": (429, 20429, "Too Many Requests"),
    "error500": (500, 20500, "Internal Server Error"),
    "invalid": (400, 21211, "The 'To' number is not a valid phone number."),
    "not_mobile": (400, 21614, "'To' number is not a valid mobile number"),
}
API = "/2010-04-01/Accounts/"
PRICE = "-0.00790"
MAX_PAGE_SIZE = 1000


def _rfc2822(at: float) -> str:
    return format_datetime(dt.datetime.fromtimestamp(int(at), dt.UTC), usegmt=False)


def _error(status: int, code: int, text: str):
    return status, {
        "code": code,
        "message": text,
        "status": status,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
    }


def _reference(status_callback: str) -> str | None:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(status_callback or "").query)
    return (query.get("delivery") or [None])[0]


def _date_bound(value: str, *, upper: bool) -> int:
    """A ``DateSent`` bound in epoch seconds: ``YYYY-MM-DD`` is the whole day (its start, or with
    ``upper`` its end); ``YYYY-MM-DDTHH:MM:SSZ`` (what the SDK sends for a datetime) is exact."""
    value = value.strip()
    if len(value) == 10:
        day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC)
        return int(day.timestamp()) + (86399 if upper else 0)
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


class FakeTwilio(FakeServer):
    @classmethod
    def create(cls, *, port: int = 0, mode: str = "ok", ca_out: str = "") -> "FakeTwilio":
        return cls(port=port, mode=mode)

    def answer(self, mode: str, request: Recorded):
        if not request.path.endswith("/Messages.json") or request.method != "POST":
            return _error(404, 20404, "not found")
        if request.body.get("To", "").startswith("+1500555"):
            mode = "invalid"
        if mode in ERRORS:
            return _error(*ERRORS[mode])
        account = request.path.split("/")[3]
        sid = f"SM{uuid.uuid4().hex}"
        reference = _reference(request.body.get("StatusCallback", ""))
        entry = self.accept(
            request,
            api="twilio",
            reference=reference,
            to=request.body.get("To", ""),
            id=sid,
            account=account,
            sender=request.body.get("From", ""),
            body=request.body.get("Body", ""),
        )
        return 201, {**self._message(entry), "status": "queued", "date_sent": None, "price": None}

    def _message(self, entry: Accepted) -> dict:
        account, sid, at = entry.detail["account"], entry.id, _rfc2822(entry.at)
        uri = f"{API}{account}/Messages/{sid}.json"
        return {
            "sid": sid,
            "account_sid": account,
            "to": entry.to,
            "from": entry.detail["sender"],
            "body": entry.detail["body"],
            "status": "sent",
            "num_segments": "1",
            "num_media": "0",
            "price": PRICE,
            "price_unit": "USD",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": at,
            "date_updated": at,
            "date_sent": at,
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": None,
            "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }

    # --- Messages list -------------------------------------------------------------------------
    def lookup(self, request: Recorded):
        if request.method != "GET" or not request.path.startswith(API):
            return None
        parts = request.path.split("/")  # "", "2010-04-01", "Accounts", sid, "Messages.json"
        account = parts[3] if len(parts) > 3 else ""
        if not self._authenticated(request, account):
            return _error(401, 20003, "Authenticate")
        if len(parts) == 6 and parts[4] == "Messages" and parts[5].endswith(".json"):
            return self._fetch(account, parts[5][: -len(".json")])
        if len(parts) != 5 or parts[4] != "Messages.json":
            return _error(404, 20404, "The requested resource was not found")
        query = request.body
        try:
            page = int(query.get("Page") or 0)
            size = min(int(query.get("PageSize") or 50), MAX_PAGE_SIZE)
            wanted = self._filter(account, query)
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        start = page * size
        rows = wanted[start : start + size]

        def page_uri(number: int) -> str:
            params = {k: v for k, v in query.items() if k not in ("Page", "PageToken", "PageSize")}
            params.update({"PageSize": size, "Page": number})
            if number:
                params["PageToken"] = f"PA{number * size}"
            return f"{request.path}?{urllib.parse.urlencode(params)}"

        return 200, {
            "messages": [self._message(m) for m in rows],
            "page": page,
            "page_size": size,
            "start": start,
            "end": start + max(len(rows) - 1, 0),
            "uri": page_uri(page),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if start + size < len(wanted) else None,
            "previous_page_uri": page_uri(page - 1) if page else None,
        }

    def _fetch(self, account: str, sid: str):
        """``GET .../Messages/<sid>.json``: one accepted message (``messages(sid).fetch()``)."""
        for entry in self.ledger.messages("twilio"):
            if entry.id == sid and entry.detail["account"] == account:
                return 200, self._message(entry)
        return _error(404, 20404, f"The requested resource {API}{account}/Messages/{sid}.json was not found")

    @staticmethod
    def _authenticated(request: Recorded, account: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, token = base64.b64decode(header[6:]).decode(errors="replace").partition(":")
        return user == account and bool(token)

    def _filter(self, account: str, query: dict) -> list[Accepted]:
        low, high = None, None
        if query.get("DateSent"):
            low = _date_bound(query["DateSent"], upper=False)
            high = _date_bound(query["DateSent"], upper=True)
        if query.get("DateSent>"):
            low = _date_bound(query["DateSent>"], upper=False)
        if query.get("DateSent<"):
            high = _date_bound(query["DateSent<"], upper=True)
        rows = [
            m
            for m in self.ledger.messages("twilio")
            if m.detail["account"] == account
            and (not query.get("To") or m.to == query["To"])
            and (not query.get("From") or m.detail["sender"] == query["From"])
            and (low is None or int(m.at) >= low)
            and (high is None or int(m.at) <= high)
        ]
        return rows[::-1]  # newest first


if __name__ == "__main__":
    serve_forever_main(FakeTwilio.create, description=__doc__)
