"""Processes serving on loopback: a free port, and a command serving on one, bounded in time."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback TCP port nothing listens on (as of now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving_command(argv: list[str], cwd: Path | None = None) -> Iterator[tuple[int, bytearray]]:
    """``argv`` serving on a free loopback port: yields the port, and a buffer that gets its stderr once stopped."""
    port = free_port()
    log = bytearray()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    server = subprocess.Popen([*argv, "--port", str(port), "--log-level", "warning"], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"server did not start: {server.stderr.read()!r}") from None  # type: ignore[union-attr]
                time.sleep(0.1)
        yield port, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        assert server.stderr is not None
        log += server.stderr.read()
        server.stderr.close()
