"""A broadcast app across worker processes on Redis: ``python -m bench.load.serve_broadcast_redis PORT [WORKERS [APP]]``.

Starts a ``redis-server`` on a free loopback port, then uvicorn with
WORKERS (default 2) processes running ``bench.load.apps:APP`` with
``FASTWS_BROADCAST`` pointing at that Redis. APP ``broadcast_app`` (the
default, ``fastws.Broadcast``) runs as ``fastws run`` sets uvicorn up;
``broadcaster_app`` (Starlette with ``broadcaster``) on uvicorn's defaults.
The load tool stops the whole process group (Redis included), and counts
the CPU time of all of it, Redis too.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

from .servers import UVICORN, free_port


def _wait_for_redis(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"redis-server did not start on port {port}")


def main() -> int:
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    app = sys.argv[3] if len(sys.argv) > 3 else "broadcast_app"
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    redis_port = free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_redis(redis_port)
        env = dict(os.environ, FASTWS_BROADCAST=f"redis://127.0.0.1:{redis_port}/0")
        layers = ["--http", "fastws.http:HttpProtocol", "--ws", "fastws.protocol:WebSocketProtocol"]
        if app != "broadcast_app":
            layers = ["--http", "httptools", "--ws", "websockets-sansio"]
        command = [*UVICORN, *layers, "--workers", str(workers), "--port", str(port), f"bench.load.apps:{app}"]
        return subprocess.call(command, env=env)
    finally:
        redis.kill()
        redis.wait()


if __name__ == "__main__":
    sys.exit(main())
