"""What every fake provider shares to model a brownout and to count at the provider: a fault
spec drawn per send request, and a ledger of the messages the provider accepted, keyed by
Waypost's reference.

Faults (each a share, 0..1, drawn per send request; the shares add up to at most 1):
- ``hang``: the message is accepted (it goes into the ledger) and the answer is sent only after
  ``hang_seconds`` (default 6), i.e. after the client's timeout;
- ``drop``: the message is accepted, then the connection is shut down without any answer;
- ``500``: not accepted, the provider's 500 answer; ``429``: not accepted, its throttling answer.

Set on the command line (``--faults hang=0.1,drop=0.05,500=0.05,429=0 --hang-seconds 6
[--seed N]``), at run time (``POST /_fake/faults`` with ``{"hang": 0.1, "500": 0.05,
"hang_seconds": 6}``: replaces the whole spec, ``{}`` clears it; ``GET /_fake/faults`` tells it),
or in-process (``fake.set_faults(hang=0.1, drop=0.05, **{"500": 0.05})``, ``http500`` and
``http429`` being aliases of ``500`` and ``429``).

The ledger: ``GET /_fake/accepted`` -> ``{"total", "by_reference": {"123": 2}, "messages":
[{"reference", "to", "id", "at", "fault", "api"}]}`` (``messages`` left out in stats-only mode,
which keeps only a window of the latest messages for the look-up endpoints, so memory stays flat).
A message sent without a reference counts in ``total`` only. ``POST /_fake/reset`` empties it (and
the recorded requests and counters); faults stay until changed. In-process: ``fake.accepted()``,
``fake.ledger.count(reference)``, ``fake.ledger.messages(api)``."""

import contextlib
import json
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field

FAULTS = ("hang", "drop", "500", "429")
ALIASES = {"http500": "500", "http429": "429"}
DEFAULT_HANG_SECONDS = 6.0
LOOKUP_WINDOW = 10_000  # stats-only: the latest messages kept for the look-up endpoints


class FaultSpec:
    """The shares of each fault and the hang length; ``draw()`` picks one (or None) per send."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.shares: dict[str, float] = {}
        self.hang_seconds = DEFAULT_HANG_SECONDS

    def replace(self, spec: dict | None = None) -> "FaultSpec":
        """Replace the whole spec with ``spec`` (fault shares, ``hang_seconds``, ``seed``)."""
        spec = dict(spec or {})
        hang_seconds = float(spec.pop("hang_seconds", DEFAULT_HANG_SECONDS))
        seed = spec.pop("seed", None)
        shares = {}
        for name, share in spec.items():
            name = ALIASES.get(str(name), str(name))
            if name not in FAULTS:
                raise ValueError(f"unknown fault {name!r}: one of {', '.join(FAULTS)}")
            share = float(share)
            if not 0 <= share <= 1:
                raise ValueError(f"the share of {name!r} must be between 0 and 1, not {share}")
            if share:
                shares[name] = share
        if sum(shares.values()) > 1 + 1e-9:
            raise ValueError(f"the fault shares add up to more than 1: {shares}")
        if hang_seconds < 0:
            raise ValueError("hang_seconds must not be negative")
        with self._lock:
            self.shares, self.hang_seconds = shares, hang_seconds
            if seed is not None:
                self._rng.seed(int(seed))
        return self

    def draw(self) -> str | None:
        if not self.shares:
            return None
        with self._lock:
            point = self._rng.random()
            for name in FAULTS:
                point -= self.shares.get(name, 0.0)
                if point < 0:
                    return name
        return None

    def as_dict(self) -> dict:
        with self._lock:
            return {**self.shares, "hang_seconds": self.hang_seconds}


def parse_faults(text: str) -> dict:
    """``"hang=0.1,drop=0.05,500=0.05"`` -> ``{"hang": 0.1, "drop": 0.05, "500": 0.05}``."""
    spec = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, _, share = item.partition("=")
        if not share:
            raise ValueError(f"expected name=share, got {item!r}")
        spec[name.strip()] = float(share)
    FaultSpec().replace(spec)  # refuse a spec that makes no sense now, not at the first send
    return spec


@dataclass
class Accepted:
    """One message the provider accepted. ``detail`` holds what its look-up endpoint answers."""

    api: str
    reference: str | None
    to: str
    id: str
    at: float
    fault: str | None = None
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "reference": self.reference,
            "to": self.to,
            "id": self.id,
            "at": self.at,
            "fault": self.fault,
            "api": self.api,
        }


class Ledger:
    """What the provider accepted: a total, a count per reference, and the messages themselves
    (all of them, or with ``keep_messages=False`` only the latest ``window`` for look-ups)."""

    def __init__(self, *, keep_messages: bool = True, window: int = LOOKUP_WINDOW):
        self._lock = threading.Lock()
        self.window = window
        self._keep = keep_messages
        self.reset()

    @property
    def keep_messages(self) -> bool:
        return self._keep

    @keep_messages.setter
    def keep_messages(self, keep: bool) -> None:
        with self._lock:
            self._keep = keep
            self._messages = deque(self._messages, maxlen=None if keep else self.window)

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self._by_reference: dict[str, int] = {}
            self._messages: deque[Accepted] = deque(maxlen=None if self._keep else self.window)

    def record(
        self, *, api: str, reference, to: str, id: str, fault: str | None = None, at: float | None = None, **detail
    ) -> Accepted:
        reference = str(reference) if reference not in (None, "") else None
        entry = Accepted(api=api, reference=reference, to=to, id=id, at=at or time.time(), fault=fault, detail=detail)
        with self._lock:
            self.total += 1
            if reference is not None:
                self._by_reference[reference] = self._by_reference.get(reference, 0) + 1
            self._messages.append(entry)
        return entry

    def count(self, reference) -> int:
        with self._lock:
            return self._by_reference.get(str(reference), 0)

    def messages(self, api: str | None = None, reference=None) -> list[Accepted]:
        """Oldest first; only one API's, or one reference's, if asked."""
        with self._lock:
            rows = list(self._messages)
        return [
            m for m in rows if (api is None or m.api == api) and (reference is None or m.reference == str(reference))
        ]

    def snapshot(self) -> dict:
        with self._lock:
            answer = {"total": self.total, "by_reference": dict(self._by_reference)}
            if self._keep:
                answer["messages"] = [m.as_dict() for m in self._messages]
        return answer


class FaultsAndLedger:
    """Mixed into every fake: ``self.faults``, ``self.ledger`` and the ``/_fake/faults``,
    ``/_fake/accepted`` and ``/_fake/reset`` control endpoints."""

    def _setup_faults(self, *, keep_messages: bool = True) -> None:
        self.faults = FaultSpec()
        self.ledger = Ledger(keep_messages=keep_messages)

    def set_faults(self, spec: dict | None = None, /, **shares) -> dict:
        """Replace the fault spec: ``set_faults(hang=0.1, drop=0.05, http500=0.05,
        hang_seconds=6, seed=1)`` or ``set_faults({"500": 0.05})``; ``set_faults()`` clears it."""
        return self.faults.replace({**(spec or {}), **shares}).as_dict()

    def clear_faults(self) -> None:
        self.faults.replace({})

    def accepted(self) -> dict:
        """What ``GET /_fake/accepted`` answers."""
        return self.ledger.snapshot()

    def reset(self) -> None:
        """Each fake extends this to empty its own records too."""
        self.ledger.reset()

    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, dict] | None:
        """Answer a fault/ledger control request, or None if ``path`` is not one."""
        path = path.rstrip("/")
        if path == "/_fake/accepted" and method == "GET":
            return 200, self.accepted()
        if path == "/_fake/faults" and method == "GET":
            return 200, self.faults.as_dict()
        if path == "/_fake/faults" and method == "POST":
            try:
                spec = json.loads(raw or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                return 200, self.set_faults(spec)
            except (ValueError, TypeError) as exc:
                return 400, {"error": str(exc)}
        if path == "/_fake/reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        return None


def drop_connection(handler) -> None:
    """Close a ``BaseHTTPRequestHandler``'s connection without answering: both directions are
    shut down (the client reads EOF at once, not a half-open socket) and the handler stops."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.wfile.flush()
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def add_fault_arguments(parser) -> None:
    parser.add_argument(
        "--faults",
        default="",
        type=parse_faults,
        help="shares of faults drawn per send, e.g. hang=0.1,drop=0.05,500=0.05,429=0",
    )
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=DEFAULT_HANG_SECONDS,
        help="how long a 'hang' holds the answer (default 6)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed the fault draws")


def apply_fault_arguments(fake: FaultsAndLedger, args) -> None:
    spec = {**args.faults, "hang_seconds": args.hang_seconds}
    if args.seed is not None:
        spec["seed"] = args.seed
    fake.set_faults(spec)
