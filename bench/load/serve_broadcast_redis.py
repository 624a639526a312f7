"""A broadcast app across worker processes on Redis: ``python -m bench.load.serve_broadcast_redis PORT [WORKERS [APP [cluster]]]``.

Starts a ``redis-server`` on a free loopback port (with ``cluster``: a
Redis Cluster of three masters, no replicas), then uvicorn with WORKERS
(default 2) processes running ``bench.load.apps:APP`` with
``FASTWS_BROADCAST`` pointing at it. APP ``broadcast_app`` (the default,
``fastws.Broadcast``) and ``broadcast_history_app`` (with history) run as
``fastws run`` sets uvicorn up; ``broadcaster_app`` (Starlette with
``broadcaster``) on uvicorn's defaults.
The load tool stops the whole process group (Redis included), and counts
the CPU time of all of it, Redis too.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from .servers import UVICORN, cluster_ports, free_port


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


def start_redis(binary: str, cluster: bool) -> tuple[list[subprocess.Popen[bytes]], str]:
    """The redis-server processes, and the URL fastws takes."""
    ports = cluster_ports(3) if cluster else [free_port()]
    options = ["--save", "", "--appendonly", "no"]
    processes, directory = [], tempfile.mkdtemp(prefix="fastws-bench-")
    for port in ports:
        extra = ["--cluster-enabled", "yes", "--cluster-config-file", f"{directory}/{port}.conf"] if cluster else []
        processes.append(subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, *options, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
    try:
        for port in ports:
            _wait_for_redis(port)
        if not cluster:
            return processes, f"redis://127.0.0.1:{ports[0]}/0"
        nodes = [f"127.0.0.1:{port}" for port in ports]
        subprocess.run(["redis-cli", "--cluster", "create", *nodes, "--cluster-yes"], capture_output=True, check=True)
        for port in ports:
            while (
                b"cluster_state:ok"
                not in subprocess.run(
                    ["redis-cli", "-p", str(port), "cluster", "info"], capture_output=True, check=False
                ).stdout
            ):
                time.sleep(0.05)
        return processes, "redis+cluster://" + ",".join(nodes)
    except BaseException:
        for process in processes:  # stopped by process id, whatever failed
            process.kill()
            process.wait()
        raise


def main() -> int:
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    app = sys.argv[3] if len(sys.argv) > 3 else "broadcast_app"
    cluster = len(sys.argv) > 4 and sys.argv[4] == "cluster"
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    redis, url = start_redis(binary, cluster)
    try:
        env = dict(os.environ, FASTWS_BROADCAST=url)
        layers = ["--http", "fastws.http:HttpProtocol", "--ws", "fastws.protocol:WebSocketProtocol"]
        if app == "broadcaster_app":
            layers = ["--http", "httptools", "--ws", "websockets-sansio"]
        command = [*UVICORN, *layers, "--workers", str(workers), "--port", str(port), f"bench.load.apps:{app}"]
        return subprocess.call(command, env=env)
    finally:
        for process in redis:
            process.kill()
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
