"""Processes the bench starts (fake providers, Celery workers, gunicorn, peers), each in its own
process group, all stopped on exit, Ctrl-C or failure; and what /proc says about them (RSS, CPU)."""

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_started: list[subprocess.Popen] = []
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def spawn(cmd, *, env=None, log: Path | None = None, cwd=None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (the child process holds it)
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen, *, timeout: float = 20) -> None:
    """SIGTERM the process group (a warm shutdown), SIGKILL it if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # children left behind in the group (prefork pool processes)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc in _started:
        _started.remove(proc)


def stop_all() -> None:
    for proc in reversed(list(_started)):
        stop(proc, timeout=10)


def _on_signal(signum, frame):
    stop_all()
    sys.exit(128 + signum)


def install_cleanup() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def wait_for_line(log: Path, needle: str, *, timeout: float = 30, proc=None) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists():
            for line in log.read_text(errors="replace").splitlines():
                if needle in line:
                    return line
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:4]} exited ({proc.returncode}); see {log}")
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {needle!r} in {log}")


# --- /proc ------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu(pids) -> float:
    return sum(cpu_seconds(p) for p in pids)


def start_gunicorn(*, port: int, env: dict, log: Path, cwd, workers: int) -> subprocess.Popen:
    """Waypost's web app under gunicorn (sync workers) on 127.0.0.1:``port``, once it answers."""
    import requests

    proc = spawn(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=str(cwd),
        env=env,
        log=log,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                return proc
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"gunicorn did not start; see {log}")
        time.sleep(0.3)
