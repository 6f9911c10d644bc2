"""Keeps one command running: ``python -m config.supervise [--backoff S] [--max-backoff S] --
COMMAND...`` starts it, and starts it again whenever it exits, however it exits, after a backoff
(``--backoff`` seconds, doubled after each quick exit up to ``--max-backoff``; back to
``--backoff`` once the command has run for ``HEALTHY_SECONDS``). ``make run`` puts the Celery
worker and beat under it, as honcho itself restarts nothing.

SIGINT or SIGTERM stops it: the signal is passed on to the command, which is waited for, and
the supervisor exits with the command's exit status. The command runs in its own process
group, so the signal reaches it once, from here (honcho signals the supervisor's group; a
terminal's Ctrl-C reaches the foreground group), and it is sent SIGTERM if the supervisor dies
(Linux), so it never outlives it. A second SIGINT is passed on too (Celery: cold shutdown)."""

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

HEALTHY_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1


def _say(text: str) -> None:
    print(f"supervise: {text}", file=sys.stderr, flush=True)


def _own_group_dying_with_parent() -> None:
    """Run in the child between fork and exec."""
    os.setpgid(0, 0)
    # Not on Linux (no prctl): the child may outlive a killed supervisor.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, command: list[str], *, backoff: float, max_backoff: float):
        self.command, self.backoff, self.max_backoff = command, backoff, max_backoff
        self.child: subprocess.Popen | None = None
        self.stop_signal: int | None = None

    def on_signal(self, signum, frame) -> None:
        self.stop_signal = signum
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self) -> int:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.on_signal)
        wait = self.backoff
        while True:
            started = time.monotonic()
            try:
                self.child = subprocess.Popen(
                    self.command,
                    preexec_fn=_own_group_dying_with_parent,  # noqa: PLW1509 (no threads here)
                )
            except OSError as exc:
                _say(f"cannot start {self.command[0]}: {exc}")
                return 127
            _say(f"started {' '.join(self.command)} (pid {self.child.pid})")
            if self.stop_signal is not None:  # told to stop while starting it
                self.child.send_signal(self.stop_signal)
            code = self.child.wait()
            if self.stop_signal is not None:
                _say(f"stopped on {signal.Signals(self.stop_signal).name}; the command exited {code}")
                return code if code >= 0 else 128 - code
            ran = time.monotonic() - started
            wait = self.backoff if ran >= HEALTHY_SECONDS else wait
            _say(f"the command exited {code} after {ran:.1f}s; starting it again in {wait:g}s")
            if self._sleep(wait):
                _say(f"stopped on {signal.Signals(self.stop_signal).name}")
                return 0
            wait = min(wait * 2, self.max_backoff)

    def _sleep(self, seconds: float) -> bool:
        """Sleep, unless told to stop meanwhile; True if told to stop."""
        deadline = time.monotonic() + seconds
        while self.stop_signal is None and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return self.stop_signal is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.supervise",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--backoff", type=float, default=1.0, help="seconds before the first restart")
    parser.add_argument("--max-backoff", type=float, default=30.0, help="longest wait between restarts")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command and its arguments")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to keep running after --")
    return Supervisor(command, backoff=args.backoff, max_backoff=max(args.backoff, args.max_backoff)).run()


if __name__ == "__main__":
    sys.exit(main())
