"""A fake email service provider on 127.0.0.1 speaking Postmark's and Mailgun's send APIs, so the
real anymail backends make real HTTP calls in tests and acceptance runs.

- Postmark: ``POST /email`` (JSON, ``X-Postmark-Server-Token``) -> ``{"To", "MessageID", "ErrorCode": 0, ...}``
- Mailgun: ``POST /v3/<domain>/messages`` (multipart form, basic auth ``api:<key>``) -> ``{"id", "message"}``

It records every request (headers, JSON or form fields and files) and can be told to answer the
next N sends with a 500, to hang past the client's timeout, or to refuse the recipient (Postmark's
422 ErrorCode 300 / Mailgun's 400). In-process: ``with FakeESP() as esp: esp.url ... esp.requests``.
As a process: ``python -m tests.fakes.esp --port 8025 [--record requests.jsonl]``; then
``GET /_requests`` lists what it got and ``POST /_mode`` with ``{"mode": "500"|"timeout"|"invalid",
"count": N}`` arms a failure.

For benchmarks: ``--latency-ms 20`` answers each send after that long (a real ESP's round trip),
``--error-rate 0.01`` answers that share of sends with a 500 at random, ``--stats-only`` keeps
counters instead of every request (memory stays flat over 100,000 sends), and ``GET /_stats``
tells sends, errors, the first and last send's time and sends per second.
"""
import argparse
import base64
import json
import random
import sys
import threading
import time
import uuid
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeESP:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, record_path: str | None = None,
                 hang_seconds: float = 2.0, latency_ms: float = 0.0, error_rate: float = 0.0,
                 keep_requests: bool = True):
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

    # --- control -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def fail_next(self, mode: str = "500", count: int = 1) -> None:
        """Arm ``count`` failures: ``500``, ``timeout`` (hang past the client's timeout), ``invalid``."""
        if mode not in ("500", "timeout", "invalid"):
            raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            self._modes.extend([mode] * count)

    def reset(self) -> None:
        with self._lock:
            self._modes.clear()
            self.requests.clear()

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
        return "500" if self.error_rate and random.random() < self.error_rate else "ok"

    def _record(self, entry: dict) -> None:
        if entry.get("kind") == "send":
            self.stats.count(entry.get("answered", "ok"))
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
            return {"ok": self.ok, "errors": self.errors, "first_at": self.first_at, "last_at": self.last_at,
                    "per_second": dict(self.per_second)}


def _parse_form(content_type: str, body: bytes) -> tuple[dict, list]:
    """multipart/form-data -> ({field: value or [values]}, [files])"""
    message = BytesParser(policy=default_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields, files = {}, []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files.append({"field": name, "filename": filename, "content_type": part.get_content_type(),
                          "content_b64": base64.b64encode(payload).decode()})
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
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def do_GET(self):
            if self.path.rstrip("/") == "/_requests":
                return self._answer(200, esp.requests)
            if self.path.rstrip("/") == "/_stats":
                return self._answer(200, esp.stats.as_dict())
            return self._answer(404, {"error": "not found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.rstrip("/") == "/_mode":
                spec = json.loads(body or b"{}")
                esp.fail_next(spec.get("mode", "500"), int(spec.get("count", 1)))
                return self._answer(200, {"armed": spec})
            if self.path.rstrip("/") == "/_reset":
                esp.reset()
                esp.stats.reset()
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
            esp._record(entry)
            if mode == "timeout":
                time.sleep(esp.hang_seconds)
                return self._answer(200, {"message": "too late"})
            if mode == "500":
                return self._answer(500, {"ErrorCode": 500, "Message": "Internal server error (fake)"})
            if entry["esp"] == "postmark":
                return self._postmark(entry["json"], mode)
            return self._mailgun(entry, mode)

        def _postmark(self, data: dict, mode: str) -> None:
            to = data.get("To", "")
            if mode == "invalid":
                address = to.split("<")[-1].rstrip(">")
                return self._answer(422, {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{address}'."})
            return self._answer(200, {"To": to, "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                      "MessageID": str(uuid.uuid4()), "ErrorCode": 0, "Message": "OK"})

        def _mailgun(self, entry: dict, mode: str) -> None:
            if mode == "invalid":
                return self._answer(400, {"message": "'to' parameter is not a valid address. please check documentation"})
            domain = entry["path"].split("/")[2]
            return self._answer(200, {"id": f"<{uuid.uuid4().hex}@{domain}>", "message": "Queued. Thank you."})

    return Handler


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", help="append each request as a JSON line to this file")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="answer each send after this long")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of sends answered with a 500")
    parser.add_argument("--stats-only", action="store_true", help="count sends instead of keeping them")
    args = parser.parse_args(argv)
    esp = FakeESP(args.host, args.port, record_path=args.record, latency_ms=args.latency_ms,
                  error_rate=args.error_rate, keep_requests=not args.stats_only)
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
