"""A small threaded HTTP(S) fake provider server: records every request (method, path, headers,
parsed body), answers from a script of modes (``ok``, ``throttled``, ``error500``, ``invalid``, ...)
or a default mode, and exposes ``/_fake/requests`` and ``/_fake/mode`` so a test in another process
can drive it. Subclasses implement ``answer(mode, request) -> (status, dict)`` for sends (calling
``accept(...)`` for each message they accept) and may implement ``lookup(request)`` for the
provider's read endpoints (never scripted, faulted or counted).

Brownouts and counting at the provider (see ``faults.py``): fault shares drawn per send (``hang``,
``drop``, ``500``, ``429``; ``--faults``, ``POST /_fake/faults``, ``set_faults(...)``), a ledger of
accepted messages keyed by Waypost's reference (``GET /_fake/accepted``, ``accepted()``), and
``POST /_fake/reset`` (``reset()``) emptying requests, script, counters and ledger. ``hang`` and
``drop`` can also be scripted as modes (``answer_next("drop")``).

For benchmarks: ``latency_ms`` delays each answer (a real provider's round trip), ``error_rate``
answers that share of requests in ``error_mode`` at random, ``keep_requests=False`` keeps counters
instead of every request, and ``GET /_fake/stats`` tells them (``--latency-ms``, ``--error-rate``,
``--stats-only`` as a process; ``ok`` counts accepted sends, hung and dropped ones included)."""

import json
import random
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.faults import Accepted, FaultsAndLedger, add_fault_arguments, apply_fault_arguments, drop_connection

ACCEPTING_FAULTS = ("hang", "drop")  # modes whose message is accepted, then answered late or never


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: dict
    raw: bytes = b""
    mode: str = ""
    answer: dict = field(default_factory=dict)
    fault: str | None = None  # "hang" or "drop": accepted, then answered late or never
    accepted: bool = False


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a burst of new connections is not refused (the default backlog is 5)


class FakeServer(FaultsAndLedger):
    scheme = "http"
    error_mode = "error500"  # what a random error (``error_rate``) answers
    fault_modes = {"500": "error500", "429": "throttled", "hang": "hang", "drop": "drop"}

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: str = "ok",
        ssl_context=None,
        latency_ms: float = 0.0,
        error_rate: float = 0.0,
        keep_requests: bool = True,
    ):
        self.mode = mode
        self.latency_ms, self.error_rate, self.keep_requests = latency_ms, error_rate, keep_requests
        self.stats = {"ok": 0, "errors": 0, "first_at": None, "last_at": None, "per_second": {}}
        self.script: deque[str] = deque()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.counter = 0
        self._server = _Server((host, port), self._handler())
        self._server.daemon_threads = True
        if ssl_context is not None:
            self.scheme = "https"
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.host, self.port = self._server.server_address[:2]
        self._thread = None
        self._setup_faults(keep_messages=keep_requests)

    # --- control ---
    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def answer_next(self, *modes: str) -> None:
        """The next requests get these modes, in order; then the default mode again."""
        with self.lock:
            self.script.extend(modes)

    def reset(self) -> None:
        """Empty the recorded requests, the script, the counters and the ledger (not the faults)."""
        with self.lock:
            self.requests.clear()
            self.script.clear()
            self.stats = {"ok": 0, "errors": 0, "first_at": None, "last_at": None, "per_second": {}}
        super().reset()

    def accept(self, request: Recorded, *, api: str, reference, to: str, id: str, **detail) -> Accepted:
        """Put a message the provider accepted into the ledger (with the request's fault)."""
        request.accepted = True
        return self.ledger.record(api=api, reference=reference, to=to, id=id, fault=request.fault, **detail)

    def sent(self, path_part: str = "") -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if path_part in r.path and not r.path.startswith("/_fake")]

    def start(self) -> "FakeServer":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_id(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _take_mode(self) -> str:
        with self.lock:
            if self.script:
                return self.script.popleft()
        if self.mode != "ok":
            return self.mode
        fault = self.faults.draw()
        if fault:
            return self.fault_modes[fault]
        if self.error_rate and random.random() < self.error_rate:
            return self.error_mode
        return self.mode

    def _count(self, ok: bool) -> None:
        now = time.time()
        with self.lock:
            stats = self.stats
            if ok:
                stats["ok"] += 1
                stats["first_at"] = stats["first_at"] or now
                stats["last_at"] = now
                stats["per_second"][int(now)] = stats["per_second"].get(int(now), 0) + 1
            else:
                stats["errors"] += 1

    def answer(self, mode: str, request: Recorded) -> tuple[int, dict]:  # pragma: no cover
        raise NotImplementedError

    def lookup(self, request: Recorded) -> tuple[int, dict] | None:
        """The answer to one of the provider's read endpoints, or None if ``request`` is a send."""
        return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY: the headers and the body go in two writes; with Nagle the body waits for
            # the client's delayed ACK (40 ms a request on a kept-alive connection).
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, payload) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a hang past its timeout)
                    self.close_connection = True

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype and raw:
                    body = json.loads(raw)
                else:
                    body = dict(urllib.parse.parse_qsl(raw.decode() or parsed.query, keep_blank_values=True))
                control = fake._control(self.command, parsed.path, raw)
                if control is not None:
                    return self._reply(*control)
                if parsed.path == "/_fake/requests":
                    with fake.lock:
                        rows = [
                            {"method": r.method, "path": r.path, "body": r.body, "mode": r.mode, "answer": r.answer}
                            for r in fake.requests
                            if not r.path.startswith("/_fake")
                        ]
                    return self._reply(200, rows)
                if parsed.path == "/_fake/stats":
                    with fake.lock:
                        return self._reply(200, {**fake.stats, "per_second": dict(fake.stats["per_second"])})
                if parsed.path == "/_fake/mode":
                    fake.mode = body.get("mode", fake.mode)
                    if body.get("next"):
                        fake.answer_next(*body["next"].split(","))
                    return self._reply(200, {"mode": fake.mode})
                record = Recorded(self.command, parsed.path, dict(self.headers), body, raw)
                looked_up = fake.lookup(record)
                if looked_up is not None:
                    return self._reply(*looked_up)
                record.mode = fake._take_mode()
                record.fault = record.mode if record.mode in ACCEPTING_FAULTS else None
                status, payload = fake.answer("ok" if record.fault else record.mode, record)
                record.answer = payload
                if fake.latency_ms:
                    time.sleep(fake.latency_ms / 1000)
                fake._count(record.accepted)
                if fake.keep_requests:
                    with fake.lock:
                        fake.requests.append(record)
                if record.fault == "drop":
                    return drop_connection(self)
                if record.fault == "hang":
                    time.sleep(fake.faults.hang_seconds)
                self._reply(status, payload)

            do_GET = do_POST = do_PUT = _handle

        return Handler


def serve_forever_main(make_server, argv=None, *, description: str = "", add_arguments=None, configure=None):
    """``python -m tests.fakes.<provider> --port N``: run as a process, print its address.
    ``add_arguments(parser)`` and ``configure(server, args)`` add a provider's own options."""
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--ca-out", default="", help="write the CA certificate (PEM) here (TLS fakes)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="answer each request after this long")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered in error")
    parser.add_argument(
        "--stats-only",
        action="store_true",
        help="count requests instead of keeping them; the ledger keeps counts and "
        "only the latest messages (for look-ups)",
    )
    add_fault_arguments(parser)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    server = make_server(port=args.port, mode=args.mode, ca_out=args.ca_out)
    server.latency_ms, server.error_rate, server.keep_requests = args.latency_ms, args.error_rate, not args.stats_only
    server.ledger.keep_messages = not args.stats_only
    apply_fault_arguments(server, args)
    if configure:
        configure(server, args)
    print(f"listening on {server.base_url}", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    server._server.serve_forever()
