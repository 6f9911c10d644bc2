"""Delivery receipts a fake provider posts back to Waypost, as Vonage's SMS API does: each receipt
waits until it is due, then one of a few sender threads signs it (timestamp, nonce, sig: the
scheme Waypost's SMS DLR webhook checks) and posts it form-encoded. Sends never wait for it; a
share below 1 models lost receipts; a target that is down or refuses is logged, counted and the
receipt dropped."""

import hashlib
import heapq
import hmac
import itertools
import logging
import random
import threading
import time

import requests

log = logging.getLogger("fakes.receipts")


def vonage_signature(params: dict, *, secret: str, method: str = "md5hash") -> str:
    """Vonage's signature: every parameter but ``sig``, sorted, as ``&key=value`` (``&`` and ``=``
    in values replaced by ``_``); then md5(string + secret) for "md5hash", else an HMAC."""
    base = "".join(
        f"&{key}={str(params[key]).replace('&', '_').replace('=', '_')}" for key in sorted(params) if key != "sig"
    )
    if method.lower() == "md5hash":
        return hashlib.md5((base + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), base.encode(), getattr(hashlib, method.lower())).hexdigest()


class DlrSender:
    def __init__(
        self,
        url: str,
        *,
        secret: str,
        method: str = "md5hash",
        delay_ms: float = 200,
        share: float = 1.0,
        seed: int | None = None,
        threads: int = 4,
        timeout: float = 5.0,
    ):
        if not 0 <= share <= 1:
            raise ValueError("share must be between 0 and 1")
        self.url, self.secret, self.method = url, secret, method
        self.delay, self.share, self.timeout = delay_ms / 1000, share, timeout
        # posted (2xx); could not post or refused; not sent (drawn as lost)
        self.sent = self.failed = self.lost = 0
        self._rng = random.Random(seed)
        self._due: list[tuple[float, int, dict]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._threads = [threading.Thread(target=self._run, name=f"fake-dlr-{i}", daemon=True) for i in range(threads)]

    def start(self) -> "DlrSender":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 1)

    def schedule(self, params: dict) -> None:
        """Post ``params`` (signed then) after the delay, unless this receipt is drawn as lost."""
        with self._cond:
            if self._rng.random() >= self.share:
                self.lost += 1
                return
            heapq.heappush(self._due, (time.monotonic() + self.delay, next(self._order), params))
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._due)

    def signed(self, params: dict) -> dict:
        signed = {
            **params,
            "timestamp": str(int(time.time())),
            "nonce": hashlib.sha1(f"{time.time_ns()}-{id(params)}".encode()).hexdigest()[:16],
        }
        signed["sig"] = vonage_signature(signed, secret=self.secret, method=self.method)
        return signed

    def _next(self) -> dict | None:
        with self._cond:
            while not self._stopping:
                if self._due and self._due[0][0] <= time.monotonic():
                    return heapq.heappop(self._due)[2]
                self._cond.wait(timeout=self._due[0][0] - time.monotonic() if self._due else None)
        return None

    def _run(self) -> None:
        session = requests.Session()
        while (params := self._next()) is not None:
            try:
                response = session.post(self.url, data=self.signed(params), timeout=self.timeout)
                ok = response.status_code < 300
                if not ok:
                    log.warning(
                        "DLR for %s refused: HTTP %s %s",
                        params.get("messageId"),
                        response.status_code,
                        response.text[:200],
                    )
            except requests.RequestException as exc:
                ok = False
                log.warning("DLR for %s not delivered to %s: %s", params.get("messageId"), self.url, exc)
            with self._cond:
                if ok:
                    self.sent += 1
                else:
                    self.failed += 1
