"""A fake carrier tracking API on 127.0.0.1 for the poller tests (real HTTP, real ``requests``).

It serves two formats from the same scripted state:
- Waypost's generic format, paged: ``GET /tracking?tracking_numbers=a,b&page=N``
  -> ``{"events": [...], "next_page": N+1 | null}`` (``page_size`` events per page);
- DHL's unified tracking shape: ``GET /track/shipments?trackingNumber=X`` -> ``{"shipments": [...]}``
  (404 for a number it does not know).

``fail_next(*behaviours)`` scripts the next answers: an HTTP status code (e.g. 503, 429, 400)
or ``"timeout"`` (it sleeps past the client's timeout). ``requests`` counts what was asked.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeCarrier:
    def __init__(self, *, page_size: int = 2, slow_seconds: float = 1.5):
        self.events: dict[str, list[dict]] = {}  # tracking number -> generic events
        self.eta: dict[str, str] = {}
        self.page_size, self.slow_seconds = page_size, slow_seconds
        self.behaviours: list = []
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeCarrier":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def scan(self, number: str, code: str, at: str, description: str = "", location: str = "", eta: str | None = None):
        with self.lock:
            self.events.setdefault(number, []).append(
                {
                    "tracking_number": number,
                    "code": code,
                    "occurred_at": at,
                    "description": description or code,
                    "location": location,
                }
            )
            if eta:
                self.eta[number] = eta

    def fail_next(self, *behaviours) -> None:
        with self.lock:
            self.behaviours.extend(behaviours)

    # --- HTTP -----------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY: the headers and the body go in two writes; with Nagle the body waits for
            # the client's delayed ACK (40 ms a request on a kept-alive connection).
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict | None = None):
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake.lock:
                    fake.requests.append(self.path)
                    behaviour = fake.behaviours.pop(0) if fake.behaviours else None
                if behaviour == "timeout":
                    time.sleep(fake.slow_seconds)
                    return self._send(200, {"events": [], "next_page": None})
                if isinstance(behaviour, int):
                    return self._send(behaviour, {"error": "scripted failure"})
                if url.path == "/tracking":
                    return self._send(200, fake._generic_page(query))
                if url.path == "/track/shipments":
                    return fake._dhl(self, query.get("trackingNumber", ""))
                return self._send(404, {"error": "no such path"})

        return Handler

    def _generic_page(self, query: dict) -> dict:
        numbers = [n for n in query.get("tracking_numbers", "").split(",") if n]
        page = int(query.get("page", 1))
        with self.lock:
            items = [
                {**e, **({"estimated_delivery": self.eta[n]} if n in self.eta else {})}
                for n in numbers
                for e in self.events.get(n, [])
            ]
        start = (page - 1) * self.page_size
        chunk = items[start : start + self.page_size]
        return {"events": chunk, "next_page": page + 1 if start + self.page_size < len(items) else None}

    def _dhl(self, handler, number: str):
        with self.lock:
            events = list(self.events.get(number, []))
            eta = self.eta.get(number)
        if not events:
            return handler._send(404, {"title": "No shipment with given tracking number found.", "status": 404})
        shipment = {
            "id": number,
            "service": "express",
            "status": {"timestamp": events[-1]["occurred_at"], "statusCode": events[-1]["code"]},
            "events": [
                {
                    "timestamp": e["occurred_at"],
                    "statusCode": e["code"],
                    "status": e["code"].upper(),
                    "description": e["description"],
                    "location": {"address": {"addressLocality": e["location"]}},
                }
                for e in events
            ],
        }
        if eta:
            shipment["estimatedTimeOfDelivery"] = eta
        return handler._send(200, {"shipments": [shipment]})
