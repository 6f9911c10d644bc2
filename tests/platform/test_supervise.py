"""``python -m config.supervise -- COMMAND``: a command that exits is started again after a
backoff, and SIGTERM (or SIGINT) stops the supervisor and its command, once."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.redis_server import wait_until

ROOT = Path(__file__).resolve().parents[2]

# Notes each start in a journal; exits 3 on its first two starts, then runs until a signal,
# which it notes before exiting 0.
CHILD = textwrap.dedent("""
    import os, signal, sys, time
    journal = sys.argv[1]
    with open(journal, "a") as f:
        f.write(f"start {os.getpid()}\\n")
    if sum(line.startswith("start") for line in open(journal)) < 3:
        sys.exit(3)
    def stop(signum, frame):
        with open(journal, "a") as f:
            f.write(f"signal {signal.Signals(signum).name}\\n")
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        time.sleep(0.05)
""")


@pytest.fixture
def supervised(tmp_path):
    journal = tmp_path / "journal"
    journal.touch()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "config.supervise",
            "--backoff",
            "0.1",
            "--max-backoff",
            "0.4",
            "--",
            sys.executable,
            "-c",
            CHILD,
            str(journal),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    yield process, journal
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _lines(journal: Path) -> list[str]:
    return journal.read_text().splitlines()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_command_that_exits_is_started_again_and_a_signal_stops_both(supervised, signum):
    process, journal = supervised

    # when the command exits 3 twice, then keeps running
    assert wait_until(lambda: len(_lines(journal)) == 3, timeout=20, poll=0.05), _lines(journal)
    child_pid = int(_lines(journal)[-1].split()[1])

    # then it was started three times, the supervisor still running
    assert [line.split()[0] for line in _lines(journal)] == ["start"] * 3
    assert process.poll() is None

    # when the supervisor is sent the signal
    process.send_signal(signum)
    code = process.wait(timeout=20)

    # then the command got it once and exited, the supervisor exited with its status, and
    # nothing was started again
    assert code == 0
    assert _lines(journal)[3:] == [f"signal {signum.name}"]
    assert not Path(f"/proc/{child_pid}").exists()
    log = process.stderr.read()
    assert log.count("exited 3") == 2 and "starting it again" in log
    assert f"stopped on {signum.name}" in log


def test_a_signal_during_the_backoff_stops_the_supervisor_at_once(tmp_path):
    # given a command that always fails, started again only after 30 s
    log = tmp_path / "supervise.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.supervise",
                "--backoff",
                "30",
                "--",
                sys.executable,
                "-c",
                "raise SystemExit(1)",
            ],
            cwd=ROOT,
            stderr=stderr,
        )

    # when it has exited once and the supervisor waits, and SIGTERM arrives
    assert wait_until(lambda: "starting it again in 30s" in log.read_text(), timeout=20, poll=0.05)
    process.send_signal(signal.SIGTERM)

    # then the supervisor stops at once, without starting it again
    assert process.wait(timeout=5) == 0
    assert log.read_text().count("started ") == 1
