"""Whether a failed HTTP call to a provider may have reached it. Every provider SDK here talks
through ``requests`` (anymail, twilio, vonage, pywebpush), so one reading of its exceptions
serves them all.

Provably not sent: the connection was never made (refused, DNS, connect timeout, a certificate
the client refused). Unknown: anything after which the request may have gone out (read timeout,
connection reset or closed before the answer, a TLS error that may have come mid-stream, an
answer that could not be read) and anything we cannot place."""

import ssl

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from channels.base import SendResult, SendStatus

_NEVER_CONNECTED = (
    NewConnectionError,
    NameResolutionError,
    ConnectTimeoutError,
    ssl.SSLCertVerificationError,
    ConnectionRefusedError,
)


def _causes(exc: BaseException):
    """The exception, what it wraps (urllib3's ``MaxRetryError.reason``), and its causes."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(
            [
                getattr(current, "reason", None),
                current.__cause__,
                current.__context__,
                *[a for a in getattr(current, "args", ()) if isinstance(a, BaseException)],
            ]
        )


def request_never_sent(exc: BaseException) -> bool:
    """True only when the exception proves the request never reached the provider."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
        return False
    return any(isinstance(cause, _NEVER_CONNECTED) for cause in _causes(exc))


def failed_call(exc: BaseException, *, code: str = "") -> SendResult:
    """A provider call that raised instead of answering: not sent, or unknown."""
    status = SendStatus.NOT_SENT if request_never_sent(exc) else SendStatus.UNKNOWN
    name = code or exc.__class__.__name__
    return SendResult(status, error_code=name[:60], error_text=str(exc)[:2000])
