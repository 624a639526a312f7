"""The servers under test: how to start each one, and its life cycle.

Every server runs the same echo (see ``apps.py``) on 127.0.0.1 with uvloop
and httptools where it has a choice, keep-alive pings off and no
compression, pinned to one CPU (``taskset``) when the machine has two or
more. ``Server.start`` waits until the port accepts; ``stop`` ends it by
process id (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

UVICORN = [
    sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--loop", "uvloop",
    "--ws-ping-interval", "0", "--ws-per-message-deflate", "false", "--ws-max-size", str(64 * 1024 * 1024),
    "--log-level", "warning", "--no-access-log", "--lifespan", "off",
]  # fmt: skip


def _uvicorn(app: str, ws: str, http: str = "httptools") -> Callable[[int], list[str]]:
    return lambda port: [*UVICORN, "--http", http, "--ws", ws, "--port", str(port), f"bench.load.apps:{app}"]


def _fastws_run(app: str) -> Callable[[int], list[str]]:
    """``fastws run`` itself (uvicorn with fastws' HTTP front, wire layer and loop), with the options above."""
    options = [arg for arg in UVICORN[3:] if arg not in ("--loop", "uvloop")]  # its auto: uvloop, as fastws.loop
    return lambda port: [sys.executable, "-m", "fastws", "run", *options, "--port", str(port), f"bench.load.apps:{app}"]


def _granian(port: int) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--loop", "uvloop", "--http", "1", "--ws", "--log-level", "warning",
        "bench.load.apps:plain",
    ]  # fmt: skip


@dataclass(frozen=True)
class ServerSpec:
    """One server under test: a name, its command, and what it needs."""

    name: str
    command: Callable[[int], list[str]]
    needs: tuple[str, ...] = ()
    description: str = ""
    only: tuple[str, ...] = ()  # the scenarios it serves, if not all (the broadcast apps: fan-out)
    programs: tuple[str, ...] = ()  # executables it needs on the PATH

    def serves(self, scenario: str) -> bool:
        return not self.only or scenario in self.only

    def available(self) -> bool:
        modules = all(importlib.util.find_spec(module) is not None for module in self.needs)
        return modules and all(shutil.which(program) for program in self.programs)


SERVERS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in [
        ServerSpec("uvicorn-sansio+asgi", _uvicorn("plain", "websockets-sansio"), ("uvicorn", "websockets"),
                   "raw ASGI echo on uvicorn's default ws layer (websockets-sansio)"),
        ServerSpec("uvicorn-sansio+fastws", _uvicorn("fastws_app", "websockets-sansio"), ("uvicorn", "websockets"),
                   "fastws.WebSocket echo on uvicorn websockets-sansio"),
        ServerSpec("uvicorn-sansio+starlette", _uvicorn("starlette_app", "websockets-sansio"),
                   ("uvicorn", "websockets", "starlette"), "Starlette WebSocketRoute echo on uvicorn websockets-sansio"),
        ServerSpec("uvicorn-fastws+asgi", _fastws_run("plain"), ("uvicorn",),
                   "raw ASGI echo on fastws run (uvicorn with --http fastws.http:HttpProtocol "
                   "--ws fastws.protocol:WebSocketProtocol --loop fastws.loop:new_event_loop)"),
        ServerSpec("uvicorn-fastws+fastws", _fastws_run("fastws_app"), ("uvicorn",),
                   "fastws.WebSocket echo on fastws run"),
        ServerSpec("uvicorn-fastwsws+asgi", _uvicorn("plain", "fastws.protocol:WebSocketProtocol"), ("uvicorn",),
                   "raw ASGI echo on uvicorn's httptools HTTP with fastws' wire layer as --ws only"),
        ServerSpec("uvicorn-fastws+broadcast", _fastws_run("broadcast_app"), ("uvicorn",),
                   "fastws.Broadcast (memory://) on fastws run: frames written straight "
                   "to each transport", only=("fanout", "chat")),
        ServerSpec("uvicorn-fastws+starlette-broadcast", _fastws_run("starlette_broadcast_app"),
                   ("uvicorn", "starlette"), "fastws.Broadcast as the docs show it (a Starlette route, "
                   "websocket_app, fastws.WebSocket) on fastws run", only=("fanout", "chat")),
        ServerSpec("uvicorn-sansio+broadcast", _uvicorn("broadcast_app", "websockets-sansio"),
                   ("uvicorn", "websockets"), "fastws.Broadcast (memory://) on uvicorn's default ws layer: "
                   "the ASGI fallback", only=("fanout", "chat")),
        ServerSpec("uvicorn-fastws+broadcast-redis-2w",
                   lambda port: [sys.executable, "-m", "bench.load.serve_broadcast_redis", str(port), "2"],
                   ("uvicorn", "redis"), "fastws.Broadcast on Redis: 2 uvicorn workers and redis-server, "
                   "all on the server's core (CPU counted for all three)", only=("fanout", "chat"),
                   programs=("redis-server",)),
        ServerSpec("uvicorn-fastws+broadcast-history", _fastws_run("broadcast_history_app"), ("uvicorn",),
                   "fastws.Broadcast (memory://) with history on (the last 1,000 messages)", only=("fanout", "chat")),
        ServerSpec("uvicorn-fastws+broadcast-redis-history-2w",
                   lambda port: [sys.executable, "-m", "bench.load.serve_broadcast_redis", str(port), "2",
                                 "broadcast_history_app"],
                   ("uvicorn", "redis"), "fastws.Broadcast on Redis with history on (a stream per channel): 2 "
                   "workers and redis-server on the server's core", only=("fanout", "chat"),
                   programs=("redis-server",)),
        ServerSpec("uvicorn-fastws+broadcast-cluster-2w",
                   lambda port: [sys.executable, "-m", "bench.load.serve_broadcast_redis", str(port), "2",
                                 "broadcast_app", "cluster"],
                   ("uvicorn", "redis"), "fastws.Broadcast on a Redis Cluster (3 masters, sharded pub/sub): 2 "
                   "workers and the 3 redis-servers on the server's core", only=("fanout", "chat"),
                   programs=("redis-server", "redis-cli")),
        ServerSpec("uvicorn-sansio+broadcaster-redis-2w",
                   lambda port: [sys.executable, "-m", "bench.load.serve_broadcast_redis", str(port), "2",
                                 "broadcaster_app"],
                   ("uvicorn", "websockets", "starlette", "broadcaster", "redis"),
                   "Starlette with broadcaster's Redis backend: 2 uvicorn workers and redis-server on the "
                   "server's core", only=("fanout", "chat"), programs=("redis-server",)),
        ServerSpec("uvicorn-sansio+broadcaster", _uvicorn("broadcaster_app", "websockets-sansio"),
                   ("uvicorn", "websockets", "starlette", "broadcaster"),
                   "Starlette with broadcaster's memory backend on uvicorn's default ws layer", only=("fanout", "chat")),
        ServerSpec("uvicorn-websockets+asgi", _uvicorn("plain", "websockets"), ("uvicorn", "websockets"),
                   "raw ASGI echo on uvicorn's legacy websockets layer"),
        ServerSpec("uvicorn-wsproto+asgi", _uvicorn("plain", "wsproto"), ("uvicorn", "wsproto"),
                   "raw ASGI echo on uvicorn's wsproto layer"),
        ServerSpec("granian+asgi", _granian, ("granian",), "raw ASGI echo on granian (Rust)"),
        ServerSpec("aiohttp", lambda port: [sys.executable, "-m", "bench.load.serve_aiohttp", str(port)], ("aiohttp",),
                   "aiohttp's own WebSocket server"),
        ServerSpec("picows", lambda port: [sys.executable, "-m", "bench.load.serve_picows", str(port)], ("picows",),
                   "picows' echo server: the compiled-Python ceiling (not ASGI)"),
    ]
}  # fmt: skip


def with_deflate(spec: ServerSpec) -> ServerSpec | None:
    """The same uvicorn server with ``--ws-per-message-deflate true``; None for other servers."""
    if "--ws-per-message-deflate" not in spec.command(0):
        return None

    def command(port: int) -> list[str]:
        args = spec.command(port)
        args[args.index("--ws-per-message-deflate") + 1] = "true"
        return args

    return replace(spec, name=spec.name + "+deflate", command=command)


def with_interpreter(spec: ServerSpec, label: str, python: str) -> ServerSpec:
    """The same server run by another Python (``<name>@<label>``), e.g. an older checkout's virtualenv."""

    def command(port: int) -> list[str]:
        return [python if arg == sys.executable else arg for arg in spec.command(port)]

    return replace(spec, name=f"{spec.name}@{label}", command=command, description=f"{spec.description} ({python})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cluster_ports(count: int) -> list[int]:
    """``count`` consecutive free loopback ports for Redis Cluster nodes, whose bus ports (+10000) are free too."""

    def free(port: int) -> bool:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
        return True

    # below the kernel's range of ephemeral ports, bus ports included: a client's connection made
    # between this check and the node's start could otherwise take one of them
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
            ephemeral = int(ranges.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768  # Linux's default
    top = max(10001, ephemeral - 10000 - count)
    for _ in range(200):
        base = random.randrange(10000, top)
        if all(free(p) and free(p + 10000) for p in range(base, base + count)):
            return list(range(base, base + count))
    raise RuntimeError(f"no {count} free ports for a Redis Cluster")


@functools.cache
def server_cpu() -> int | None:
    """The CPU servers are pinned to (the client takes another), if any.

    Decided once, from the affinity the tool started with: the client then
    narrows its own affinity to the other CPUs, which must not move the servers.
    """
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return cpus[0] if len(cpus) >= 2 and shutil.which("taskset") else None


@dataclass
class Server:
    """A running server process, started and stopped by the tool."""

    spec: ServerSpec
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: str = ""

    def start(self, timeout: float = 30.0) -> None:
        command = self.spec.command(self.port)
        cpu = server_cpu()
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited: {self._stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.spec.name} did not listen within {timeout}s") from None
                time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _stderr(self) -> str:
        if self.process is None or self.process.stderr is None:
            return ""
        try:
            return self.process.stderr.read().decode(errors="replace")[-2000:]
        except (OSError, ValueError):
            return ""

    def stop(self) -> None:
        """Stop the server and its children by process group id; close its stderr pipe."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
