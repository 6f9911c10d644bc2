"""A fake Web Push service on 127.0.0.1 (what FCM / Mozilla autopush are to a browser): accepts
``POST /push/<id>`` as RFC 8030 describes, checks the VAPID ``Authorization: vapid t=<JWT>,k=<key>``
header by verifying the ES256 JWT with the key it carries (audience = this origin, expiry in the
future, a ``sub`` contact) and, when it knows the subscription's private key, decrypts the
aes128gcm body (RFC 8291) so a test can read what the browser would show.

Per-subscription answers: ``fake.answers[id] = 410`` (gone), 404, 429, 500, ...; default 201.
``FakePushService().start()``; ``.subscription(id)`` makes browser-side keys and returns the
subscription JSON a browser's ``PushSubscription.toJSON()`` would give."""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class PushRequest:
    path: str
    headers: dict  # lower-case names
    status: int
    vapid_ok: bool = False
    vapid_error: str = ""
    claims: dict = field(default_factory=dict)
    vapid_key: str = ""
    payload: dict | None = None


class FakePushService:
    def __init__(self):
        self.answers: dict[str, int] = {}
        self.requests: list[PushRequest] = []
        self.private_keys: dict[str, tuple] = {}
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakePushService":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def subscription(self, sub_id: str) -> dict:
        """Browser-side keys for a new subscription, as ``PushSubscription.toJSON()`` gives them."""
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = os.urandom(16)
        self.private_keys[sub_id] = (private, auth)
        return {"endpoint": f"{self.origin}/push/{sub_id}", "keys": {"p256dh": b64e(public), "auth": b64e(auth)}}

    def verify_vapid(self, header: str) -> tuple[dict, str]:
        """Check ``vapid t=<jwt>,k=<public key>``; returns (claims, key) or raises ValueError."""
        if not header.lower().startswith("vapid "):
            raise ValueError(f"not a vapid Authorization header: {header[:30]!r}")
        parts = dict(item.strip().split("=", 1) for item in header[6:].split(","))
        token, key = parts["t"], parts["k"]
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
        claims = jwt.decode(
            token, public, algorithms=["ES256"], audience=self.origin, options={"require": ["exp", "aud", "sub"]}
        )
        if claims["exp"] > time.time() + 24 * 3600:
            raise ValueError("exp more than 24 hours ahead")
        return claims, key

    def decrypt(self, sub_id: str, body: bytes) -> dict | None:
        if sub_id not in self.private_keys:
            return None
        private, auth = self.private_keys[sub_id]
        return json.loads(http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm"))

    def sent(self) -> list[PushRequest]:
        with self.lock:
            return list(self.requests)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY: the headers and the body go in two writes; with Nagle the body waits for
            # the client's delayed ACK (40 ms a request on a kept-alive connection).
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                sub_id = self.path.rsplit("/", 1)[-1]
                record = PushRequest(
                    path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, status=201
                )
                try:
                    record.claims, record.vapid_key = fake.verify_vapid(self.headers.get("Authorization", ""))
                    record.vapid_ok = True
                except Exception as exc:  # noqa: BLE001 - any failure is a 401 for the sender
                    record.vapid_error, record.status = f"{exc.__class__.__name__}: {exc}", 401
                if record.vapid_ok:
                    record.status = fake.answers.get(sub_id, 201)
                    if record.status == 201:
                        record.payload = fake.decrypt(sub_id, body)
                with fake.lock:
                    fake.requests.append(record)
                self.send_response(record.status)
                if record.status == 201:
                    self.send_header("Location", f"{fake.origin}/message/{len(fake.requests)}")
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
