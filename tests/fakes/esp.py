"""A fake email service provider on 127.0.0.1 speaking Postmark's and Mailgun's send APIs, so the
real anymail backends make real HTTP calls in tests and acceptance runs.

- Postmark: ``POST /email`` (JSON, ``X-Postmark-Server-Token``) -> ``{"To", "MessageID", "ErrorCode": 0, ...}``
- Mailgun: ``POST /v3/<domain>/messages`` (multipart form, basic auth ``api:<key>``) -> ``{"id", "message"}``

It records every request (headers, JSON or form fields and files) and can be told to answer the
next N sends with a 500, a 429 (Postmark's ErrorCode 429 / Mailgun's 429), to hang past the
client's timeout (``timeout``: ``hang_seconds``, default 2; ``hang``: the fault spec's
``hang_seconds``), to drop the connection without answering (``drop``), or to refuse the recipient
(Postmark's 422 ErrorCode 300 / Mailgun's 400). A hung or dropped send was accepted.
In-process: ``with FakeESP() as esp: esp.url ... esp.requests``; ``esp.fail_next("drop")``.
As a process: ``python -m tests.fakes.esp --port 8025 [--record requests.jsonl]``; then
``GET /_requests`` lists what it got and ``POST /_mode`` with ``{"mode": "500"|"429"|"timeout"|
"hang"|"drop"|"invalid", "count": N}`` arms a failure.

Brownouts and counting at the provider (see ``faults.py``): fault shares drawn per send
(``--faults hang=0.1,drop=0.05,500=0.05,429=0 --hang-seconds 6 --seed N``, ``POST /_fake/faults``,
``esp.set_faults(...)``); the ledger of accepted messages keyed by ``Metadata.delivery_id``
(Postmark) or the ``v:delivery_id`` field (Mailgun): ``GET /_fake/accepted``, ``esp.accepted()``;
``POST /_fake/reset`` or ``/_reset`` (``esp.reset()``) empties requests, counters and ledger. The
ledger answers Postmark's outbound message search (``GET /messages/outbound``) and Mailgun's events
API (``GET /v3/<domain>/events``): see ``esp_search.py``.

For benchmarks: ``--latency-ms 20`` answers each send after that long (a real ESP's round trip),
``--error-rate 0.01`` answers that share of sends with a 500 at random, ``--stats-only`` keeps
counters instead of every request (memory stays flat over 100,000 sends; the ledger keeps its
counts and only the latest messages, for look-ups), and ``GET /_stats`` tells sends accepted
(``ok``), errors, the first and last send's time and sends per second.
"""

import argparse
import base64
import json
import random
import sys
import threading
import time
import urllib.parse
import uuid
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.esp_search import mailgun_detail, mailgun_events, postmark_search, split_query
from tests.fakes.faults import FaultsAndLedger, add_fault_arguments, apply_fault_arguments, drop_connection

MODES = ("500", "429", "timeout", "hang", "drop", "invalid")
ACCEPTED_MODES = ("ok", "timeout", "hang", "drop")  # the message goes into the ledger


class FakeESP(FaultsAndLedger):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        record_path: str | None = None,
        hang_seconds: float = 2.0,
        latency_ms: float = 0.0,
        error_rate: float = 0.0,
        keep_requests: bool = True,
    ):
        self.requests: list[dict] = []
        self.latency_ms, self.error_rate, self.keep_requests = latency_ms, error_rate, keep_requests
        self.stats = _Stats()
        self.record_path = record_path
        self.hang_seconds = hang_seconds
        self._modes: list[str] = []  # one entry per armed failure, consumed by the next sends
        self._lock = threading.Lock()
        self._server = _Server((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._setup_faults(keep_messages=keep_requests)

    # --- control -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def fail_next(self, mode: str = "500", count: int = 1) -> None:
        """Arm ``count`` failures: ``500``, ``429``, ``timeout`` (accepted, answered after
        ``hang_seconds``), ``hang`` (the same after the fault spec's ``hang_seconds``), ``drop``
        (accepted, the connection closed unanswered), ``invalid``."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            self._modes.extend([mode] * count)

    def reset(self) -> None:
        """Empty the armed failures, the recorded requests, the counters and the ledger (not the
        fault spec)."""
        with self._lock:
            self._modes.clear()
            self.requests.clear()
        self.stats.reset()
        super().reset()

    def sends(self, esp: str | None = None) -> list[dict]:
        return [r for r in self.requests if r["kind"] == "send" and (esp is None or r["esp"] == esp)]

    def start(self) -> "FakeESP":
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-esp", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- internals -----------------------------------------------------------------------
    def _next_mode(self) -> str:
        with self._lock:
            if self._modes:
                return self._modes.pop(0)
        fault = self.faults.draw()
        if fault:
            return fault
        return "500" if self.error_rate and random.random() < self.error_rate else "ok"

    def _record(self, entry: dict) -> None:
        if entry.get("kind") == "send":
            self.stats.count("ok" if entry.get("answered", "ok") in ACCEPTED_MODES else "error")
        with self._lock:
            if self.keep_requests or entry.get("kind") != "send":
                self.requests.append(entry)
            if self.record_path:
                with open(self.record_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a burst of new connections is not refused (the default backlog is 5)


class _Stats:
    """Counters for benchmarks: sends answered ok / with an error, first and last send, per second."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.ok = self.errors = 0
            self.first_at = self.last_at = None
            self.per_second: dict[int, int] = {}

    def count(self, mode: str) -> None:
        now = time.time()
        with self._lock:
            if mode == "ok":
                self.ok += 1
                self.first_at = self.first_at or now
                self.last_at = now
                self.per_second[int(now)] = self.per_second.get(int(now), 0) + 1
            else:
                self.errors += 1

    def as_dict(self) -> dict:
        with self._lock:
            return {
                "ok": self.ok,
                "errors": self.errors,
                "first_at": self.first_at,
                "last_at": self.last_at,
                "per_second": dict(self.per_second),
            }


def _parse_form(content_type: str, body: bytes) -> tuple[dict, list]:
    """multipart/form-data or a urlencoded form -> ({field: value or [values]}, [files])"""
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = {}
        for name, value in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True):
            if name not in fields:
                fields[name] = value
            else:
                previous = fields[name] if isinstance(fields[name], list) else [fields[name]]
                fields[name] = previous + [value]
        return fields, []
    message = BytesParser(policy=default_policy).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields, files = {}, []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files.append(
                {
                    "field": name,
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    "content_b64": base64.b64encode(payload).decode(),
                }
            )
            continue
        value = payload.decode(part.get_content_charset() or "utf-8")
        if name in fields:
            fields[name] = fields[name] if isinstance(fields[name], list) else [fields[name]]
            fields[name].append(value)
        else:
            fields[name] = value
    return fields, files


def _handler_for(esp: FakeESP):
    class Handler(BaseHTTPRequestHandler):
        # TCP_NODELAY: the headers and the body go in two writes; with Nagle the body waits for
        # the client's delayed ACK (40 ms a request on a kept-alive connection).
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, body: dict | list) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (a hang past its timeout)
                self.close_connection = True

        def _control(self, raw: bytes = b"") -> bool:
            answer = esp._control(self.command, self.path.split("?")[0], raw)
            if answer is not None:
                self._answer(*answer)
            return answer is not None

        def do_GET(self):
            if self._control():
                return None
            path, query = split_query(self.path)
            if path.rstrip("/") == "/_requests":
                return self._answer(200, esp.requests)
            if path.rstrip("/") == "/_stats":
                return self._answer(200, esp.stats.as_dict())
            if path.rstrip("/") == "/messages/outbound":
                return self._answer(*postmark_search(esp.ledger, query, self.headers))
            parts = path.strip("/").split("/")  # v3, <domain>, events[, <page>]
            if len(parts) in (3, 4) and parts[0] == "v3" and parts[2] == "events":
                return self._answer(
                    *mailgun_events(
                        esp.ledger,
                        domain=parts[1],
                        query=query,
                        headers=self.headers,
                        base_url=f"http://{self.headers.get('Host', '127.0.0.1')}",
                        page=parts[3] if len(parts) == 4 else "",
                    )
                )
            return self._answer(404, {"error": "not found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self._control(body):
                return None
            if self.path.rstrip("/") == "/_mode":
                spec = json.loads(body or b"{}")
                esp.fail_next(spec.get("mode", "500"), int(spec.get("count", 1)))
                return self._answer(200, {"armed": spec})
            if self.path.rstrip("/") == "/_reset":
                esp.reset()
                return self._answer(200, {"reset": True})
            entry = {"kind": "send", "path": self.path, "headers": dict(self.headers.items()), "at": time.time()}
            if self.path.rstrip("/") == "/email":
                entry.update(esp="postmark", json=json.loads(body))
            elif self.path.startswith("/v3/") and self.path.endswith("/messages"):
                fields, files = _parse_form(self.headers.get("Content-Type", ""), body)
                entry.update(esp="mailgun", form=fields, files=files)
            else:
                esp._record({**entry, "kind": "unknown"})
                return self._answer(404, {"message": f"no such endpoint {self.path}"})
            mode = esp._next_mode()
            entry["answered"] = mode
            if esp.latency_ms:
                time.sleep(esp.latency_ms / 1000)
            status, answer = self._send_answer(entry, mode, len(body))
            esp._record(entry)
            if mode == "drop":
                return drop_connection(self)
            if mode in ("hang", "timeout"):
                time.sleep(esp.faults.hang_seconds if mode == "hang" else esp.hang_seconds)
            return self._answer(status, answer)

        def _send_answer(self, entry: dict, mode: str, size: int) -> tuple[int, dict]:
            """The answer to a send (the ledger gets the message if it is accepted)."""
            postmark = entry["esp"] == "postmark"
            if mode == "500":
                return 500, (
                    {"ErrorCode": 500, "Message": "Internal server error (fake)"}
                    if postmark
                    else {"message": "Internal Server Error"}
                )
            if mode == "429":
                return 429, (
                    {"ErrorCode": 429, "Message": "Rate limit exceeded, retry later."}
                    if postmark
                    else {"message": "Too many requests, retry later."}
                )
            fault = mode if mode != "ok" else None
            if postmark:
                return self._postmark(entry["json"], mode, fault)
            return self._mailgun(entry, mode, fault, size)

        def _postmark(self, data: dict, mode: str, fault: str | None) -> tuple[int, dict]:
            to = data.get("To", "")
            if mode == "invalid":
                address = to.split("<")[-1].rstrip(">")
                return 422, {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{address}'."}
            message_id = str(uuid.uuid4())
            metadata = data.get("Metadata") or {}
            esp.ledger.record(
                api="postmark",
                reference=metadata.get("delivery_id"),
                to=to,
                id=message_id,
                fault=fault,
                To=to,
                Cc=data.get("Cc"),
                Bcc=data.get("Bcc"),
                From=data.get("From", ""),
                Subject=data.get("Subject", ""),
                Tag=data.get("Tag", ""),
                Metadata=metadata,
                MessageStream=data.get("MessageStream") or "outbound",
            )
            return 200, {
                "To": to,
                "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "MessageID": message_id,
                "ErrorCode": 0,
                "Message": "OK",
            }

        def _mailgun(self, entry: dict, mode: str, fault: str | None, size: int) -> tuple[int, dict]:
            if mode == "invalid":
                return 400, {"message": "'to' parameter is not a valid address. please check documentation"}
            domain, form = entry["path"].split("/")[2], entry["form"]
            message_id = f"<{uuid.uuid4().hex}@{domain}>"
            to = form.get("to", "")
            esp.ledger.record(
                api="mailgun",
                reference=form.get("v:delivery_id"),
                to=", ".join(to) if isinstance(to, list) else to,
                id=message_id,
                fault=fault,
                **mailgun_detail(form, domain, size),
            )
            return 200, {"id": message_id, "message": "Queued. Thank you."}

    return Handler


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", help="append each request as a JSON line to this file")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="answer each send after this long")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of sends answered with a 500")
    parser.add_argument(
        "--stats-only",
        action="store_true",
        help="count sends instead of keeping them; the ledger keeps counts and only the latest messages (for look-ups)",
    )
    add_fault_arguments(parser)
    args = parser.parse_args(argv)
    esp = FakeESP(
        args.host,
        args.port,
        record_path=args.record,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        keep_requests=not args.stats_only,
    )
    apply_fault_arguments(esp, args)
    print(f"fake ESP listening on {esp.url}", flush=True)
    import signal

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        esp._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        esp._server.server_close()
        sys.exit(0)


if __name__ == "__main__":
    main()
