"""A fake Vonage on 127.0.0.1 over TLS (a throwaway CA from ``trustme``): the SMS API
(``POST /sms/json``) and the Messages API (``POST /v1/messages``), answering as Vonage documents.
Modes: ``ok``; ``throttled`` (status 1); ``internal`` (status 5); ``error500`` (HTTP 500);
``invalid`` (status 3, invalid number); ``unroutable`` (status 6). Numbers starting with
``+1500555`` / ``1500555`` are always invalid.

In-process: ``FakeVonage.create().start()``, then ``.ca_path`` for ``VONAGE_CA_BUNDLE`` and
``.netloc`` for ``VONAGE_REST_HOST`` / ``VONAGE_API_HOST``. As a process:
``python -m tests.fakes.vonage --port 8443 --ca-out /tmp/vonage-ca.pem``."""
import tempfile
import uuid

import trustme

from .base import FakeServer, Recorded, serve_forever_main

INVALID_PREFIX = "1500555"
SMS_ERRORS = {"throttled": ("1", "Throttled"), "internal": ("5", "Internal Error"),
              "invalid": ("3", "Invalid to address"), "unroutable": ("6", "Invalid Message"),
              "credentials": ("4", "Bad Credentials")}
PRICE = "0.03330000"


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
        path = ca_out or tempfile.NamedTemporaryFile(prefix="fake-vonage-ca-", suffix=".pem", delete=False).name
        ca.cert_pem.write_to_path(path)
        server.ca_path = path
        return server

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
            return 202, {"message_uuid": str(uuid.uuid4())}
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
        message = {"to": to, "message-id": f"fake-{self.next_id():06d}-{uuid.uuid4().hex[:8]}", "status": "0",
                   "remaining-balance": "10.00000000", "message-price": PRICE, "network": "12345"}
        if request.body.get("client-ref"):
            message["client-ref"] = request.body["client-ref"]
        return 200, {"message-count": "1", "messages": [message]}


if __name__ == "__main__":
    serve_forever_main(FakeVonage.create)
