"""A redis-server of a test's own, on a free port, that can be stopped and started again."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, *, timeout: float, poll: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return condition()


class RedisServer:
    """A redis-server on ``port`` that keeps nothing across a restart (no snapshot, no append-only
    file): every message queued or unacked when it stops is gone, the harshest broker restart."""

    def __init__(self, *, port: int, log_dir: Path):
        self.port, self.log_dir = port, log_dir
        self.process = None

    def url(self, db: int, *, scheme: str = "redis") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{db}"

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def start(self) -> "RedisServer":
        assert self.process is None, "redis-server is running"
        command = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.log_dir),
        ]
        with open(self.log_dir / f"redis-{self.port}.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        assert wait_until(self.answers, timeout=10, poll=0.05), "redis-server did not start"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
