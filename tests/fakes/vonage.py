"""A fake Vonage on 127.0.0.1 over TLS (a throwaway CA from ``trustme``): the SMS API
(``POST /sms/json``) and the Messages API (``POST /v1/messages``), answering as Vonage documents.
Modes: ``ok``; ``throttled`` (SMS API: HTTP 200 with status 1; Messages API: HTTP 429);
``internal`` (status 5); ``error500`` (HTTP 500); ``invalid`` (status 3, invalid number);
``unroutable`` (status 6); ``hang`` and ``drop`` (accepted, answered late or never). Numbers
starting with ``+1500555`` / ``1500555`` are always invalid. Accepted messages go into the ledger
under ``client-ref`` (SMS API) or ``client_ref`` (Messages API).

Vonage has no look-up API; instead this fake sends delivery receipts. With a DLR URL set, each
SMS API message it accepts (hung and dropped ones too) gets, after a delay and from a background
thread, a form-encoded DLR POST like Vonage's (messageId, msisdn, to, network-code, price,
status=delivered, scts, err-code=0, message-timestamp, client-ref, api-key) signed with the
signature secret (timestamp, nonce, sig) as Waypost's SMS DLR webhook verifies it. ``share`` < 1
models lost receipts; a DLR URL that is down is logged and dropped.

In-process: ``FakeVonage.create().start()``, then ``.ca_path`` for ``VONAGE_CA_BUNDLE`` and
``.netloc`` for ``VONAGE_REST_HOST`` / ``VONAGE_API_HOST``; ``.set_dlr(url, secret=...,
method="md5hash", delay_ms=200, share=1.0)`` (``set_dlr(None)`` stops receipts). Faults, the
ledger and the control endpoints: see ``base.py`` and ``faults.py``. As a process:
``python -m tests.fakes.vonage --port 8443 --ca-out /tmp/vonage-ca.pem [--faults hang=0.1
--dlr-url http://127.0.0.1:8000/webhooks/vonage/sms/dlr/ --dlr-secret S]``."""

import base64
import datetime as dt
import os
import tempfile
import uuid

import trustme

from tests.fakes.base import FakeServer, Recorded, serve_forever_main
from tests.fakes.receipts import DlrSender

INVALID_PREFIX = "1500555"
SMS_ERRORS = {
    "throttled": ("1", "Throttled"),
    "internal": ("5", "Internal Error"),
    "invalid": ("3", "Invalid to address"),
    "unroutable": ("6", "Invalid Message"),
    "credentials": ("4", "Bad Credentials"),
}
PRICE = "0.03330000"
NETWORK = "12345"


class FakeVonage(FakeServer):
    error_mode = "internal"  # a random error is status 5 (transient: the dispatcher retries it)

    @classmethod
    def create(cls, *, port: int = 0, mode: str = "ok", ca_out: str = "") -> "FakeVonage":
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server = cls(port=port, mode=mode, ssl_context=context)
        path = ca_out
        if not path:
            handle, path = tempfile.mkstemp(prefix="fake-vonage-ca-", suffix=".pem")
            os.close(handle)
        ca.cert_pem.write_to_path(path)
        server.ca_path = path
        return server

    dlr: DlrSender | None = None

    def set_dlr(
        self,
        url: str | None,
        *,
        secret: str = "",
        method: str = "md5hash",
        delay_ms: float = 200,
        share: float = 1.0,
        seed: int | None = None,
    ) -> None:
        """Send a signed delivery receipt to ``url`` for each accepted SMS (None: stop)."""
        if self.dlr is not None:
            self.dlr.stop()
            self.dlr = None
        if url:
            self.dlr = DlrSender(url, secret=secret, method=method, delay_ms=delay_ms, share=share, seed=seed).start()

    def stop(self) -> None:
        self.set_dlr(None)
        super().stop()

    def answer(self, mode: str, request: Recorded):
        if request.path == "/sms/json":
            return self._sms(mode, request)
        if request.path == "/v1/messages":
            if mode in ("error500", "internal"):
                return 500, {"type": "https://developer.vonage.com/api-errors#internal", "title": "Internal Error"}
            if mode == "throttled":
                return 429, {"type": "https://developer.vonage.com/api-errors#throttled", "title": "Rate Limit Hit"}
            if mode == "invalid":
                return 422, {"title": "Invalid params", "detail": "The value of `to` is not valid"}
            message_uuid = str(uuid.uuid4())
            self.accept(
                request,
                api="messages",
                reference=request.body.get("client_ref"),
                to=str(request.body.get("to", "")),
                id=message_uuid,
                channel=request.body.get("channel", ""),
            )
            return 202, {"message_uuid": message_uuid}
        return 404, {"error": "not found"}

    def _sms(self, mode: str, request: Recorded):
        if mode == "error500":
            return 500, {"error": "internal server error"}
        to = request.body.get("to", "")
        if to.lstrip("+").startswith(INVALID_PREFIX):
            mode = "invalid"
        if mode in SMS_ERRORS:
            status, text = SMS_ERRORS[mode]
            return 200, {"message-count": "1", "messages": [{"status": status, "error-text": text}]}
        message_id = f"fake-{self.next_id():06d}-{uuid.uuid4().hex[:8]}"
        message = {
            "to": to,
            "message-id": message_id,
            "status": "0",
            "remaining-balance": "10.00000000",
            "message-price": PRICE,
            "network": NETWORK,
        }
        if request.body.get("client-ref"):
            message["client-ref"] = request.body["client-ref"]
        entry = self.accept(
            request,
            api="sms",
            reference=request.body.get("client-ref"),
            to=to,
            id=message["message-id"],
            sender=request.body.get("from", ""),
        )
        if self.dlr is not None:
            self.dlr.schedule(self._receipt(entry.id, entry.at, request))
        return 200, {"message-count": "1", "messages": [message]}

    @staticmethod
    def _receipt(message_id: str, at: float, request: Recorded) -> dict:
        """The DLR Vonage posts for a delivered SMS (unsigned: the sender signs it as it posts)."""
        when = dt.datetime.fromtimestamp(at, dt.UTC)
        params = {
            "messageId": message_id,
            "msisdn": request.body.get("to", ""),
            "to": request.body.get("from", ""),
            "network-code": NETWORK,
            "price": PRICE,
            "status": "delivered",
            "scts": when.strftime("%y%m%d%H%M"),
            "err-code": "0",
            "message-timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
            "api-key": _api_key(request),
        }
        if request.body.get("client-ref"):
            params["client-ref"] = request.body["client-ref"]
        return params


def _api_key(request: Recorded) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        return base64.b64decode(header[6:]).decode(errors="replace").partition(":")[0]
    return request.body.get("api_key", "")


def _dlr_arguments(parser) -> None:
    parser.add_argument("--dlr-url", default="", help="post a signed delivery receipt here for each accepted SMS")
    parser.add_argument("--dlr-secret", default="", help="the signature secret the receipts are signed with")
    parser.add_argument("--dlr-method", default="md5hash", help="md5hash (default), md5, sha1, sha256 or sha512")
    parser.add_argument(
        "--dlr-delay-ms", type=float, default=200, help="post each receipt this long after the send (default 200)"
    )
    parser.add_argument(
        "--dlr-share", type=float, default=1.0, help="share of accepted SMS that get a receipt (default 1)"
    )


def _configure_dlr(server: FakeVonage, args) -> None:
    if args.dlr_url:
        server.set_dlr(
            args.dlr_url,
            secret=args.dlr_secret,
            method=args.dlr_method,
            delay_ms=args.dlr_delay_ms,
            share=args.dlr_share,
            seed=args.seed,
        )


if __name__ == "__main__":
    serve_forever_main(FakeVonage.create, description=__doc__, add_arguments=_dlr_arguments, configure=_configure_dlr)
