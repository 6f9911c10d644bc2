"""A fake Twilio REST API on 127.0.0.1: ``POST /2010-04-01/Accounts/<sid>/Messages.json`` answers
like Twilio. Modes: ``ok``; ``throttled`` (429, code 20429); ``error500`` (500); ``invalid`` (400,
code 21211); ``not_mobile`` (400, code 21614). Numbers starting with ``+1500555`` are invalid.
As a process: ``python -m tests.fakes.twilio --port 8025`` (set ``TWILIO_API_BASE`` to its URL)."""
import uuid

from .base import FakeServer, Recorded, serve_forever_main

ERRORS = {"throttled": (429, 20429, "Too Many Requests"), "error500": (500, 20500, "Internal Server Error"),
          "invalid": (400, 21211, "The 'To' number is not a valid phone number."),
          "not_mobile": (400, 21614, "'To' number is not a valid mobile number")}


class FakeTwilio(FakeServer):
    @classmethod
    def create(cls, *, port: int = 0, mode: str = "ok", ca_out: str = "") -> "FakeTwilio":
        return cls(port=port, mode=mode)

    def answer(self, mode: str, request: Recorded):
        if not request.path.endswith("/Messages.json") or request.method != "POST":
            return 404, {"code": 20404, "message": "not found", "status": 404}
        if request.body.get("To", "").startswith("+1500555"):
            mode = "invalid"
        if mode in ERRORS:
            status, code, text = ERRORS[mode]
            return status, {"code": code, "message": text, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                            "status": status}
        account = request.path.split("/")[3]
        sid = f"SM{uuid.uuid4().hex}"
        return 201, {"sid": sid, "account_sid": account, "to": request.body.get("To"), "from": request.body.get("From"),
                     "body": request.body.get("Body"), "status": "queued", "num_segments": "1", "price": None,
                     "price_unit": "USD", "direction": "outbound-api", "api_version": "2010-04-01",
                     "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json"}


if __name__ == "__main__":
    serve_forever_main(FakeTwilio.create)
