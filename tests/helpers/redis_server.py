"""A real ``redis-server`` for the broadcast tests: started on loopback, stopped by process id.

``FASTWS_TEST_REDIS_URL`` (set by ``.ci/run``, which starts one) points at a
running server; tests that restart Redis start their own with
``RedisServer``. Without ``redis-server`` the Redis tests skip, unless
``FASTWS_REQUIRE_REDIS=1`` (``.ci/run`` sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from tests.helpers.processes import free_port


def require_redis_server() -> str:
    """The redis-server binary, or skip (fail where Redis is required)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("FASTWS_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class RedisServer:
    """One redis-server process on 127.0.0.1 (no persistence), restartable on the same port."""

    def __init__(self) -> None:
        self.binary = require_redis_server()
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def shared_redis_url() -> tuple[str, RedisServer | None]:
    """The URL of CI's Redis, or of one started here (stop the returned server after)."""
    url = os.environ.get("FASTWS_TEST_REDIS_URL")
    if url:
        return url, None
    server = RedisServer()
    server.start()
    return server.url, server


def fresh_channel(name: str) -> str:
    """A channel name no other test run uses (they may share one server)."""
    return f"{name}-{os.getpid()}-{time.monotonic_ns()}"
