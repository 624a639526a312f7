"""The load generator: picows clients that send, await and verify echoes.

Each connection keeps ``depth`` messages in flight. Message ``i`` of a
connection is payload ``i % RING`` of a ring of distinct payloads of the
requested size, so an echo that is wrong, truncated, duplicated or out of
order fails verification. The run is bounded by time and by message count.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, cast

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

RING = 97  # distinct payloads per size (prime: never in step with depth)
LATENCY_SAMPLES = 200_000


def payload_ring(size: int, binary: bool) -> list[bytes]:
    """Distinct payloads of ``size`` bytes (ASCII for text frames)."""
    ring = []
    for i in range(RING):
        head = f"{i:04d}:".encode()
        body = bytes(range(256)) if binary else b"fastws-load-0123456789abcdefghijklmnopqrstuvwxyz|"
        data = (head + body * (size // len(body) + 1))[:size]
        ring.append(data if len(data) == size else data.ljust(size, b"."))
    return ring


@dataclass
class Stats:
    """What one scenario counted."""

    echoes: int = 0
    errors: int = 0
    bytes: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    def error(self, what: str) -> None:
        self.errors += 1
        if not self.first_error:
            self.first_error = what


class EchoConnection(WSListener):  # type: ignore[misc]
    """One client connection: keeps ``depth`` messages in flight."""

    def __init__(self, ring: list[bytes], depth: int, binary: bool, stats: Stats, deadline: float, limit: int):
        self.ring = ring
        self.depth = depth
        self.msg_type = WSMsgType.BINARY if binary else WSMsgType.TEXT
        self.stats = stats
        self.deadline = deadline
        self.limit = limit
        self.sent = 0
        self.in_flight: deque[tuple[float, int]] = deque()
        self.fragments: list[bytes] = []
        self.transport: Any = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sample_every = 1

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def start(self) -> None:
        for _ in range(self.depth):
            self._send_next()

    def _send_next(self) -> None:
        if self.sent >= self.limit or time.monotonic() >= self.deadline:
            if not self.in_flight and not self.done.done():
                self.done.set_result(None)
            return
        index = self.sent % RING
        self.in_flight.append((time.perf_counter(), index))
        self.sent += 1
        self.transport.send(self.msg_type, self.ring[index])

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.CLOSE:
            if self.in_flight:
                self.stats.error(f"closed by the server with {self.in_flight.__len__()} echoes missing")
            if not self.done.done():
                self.done.set_result(None)
            return
        if kind not in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            return
        if not frame.fin or self.fragments:
            self.fragments.append(frame.get_payload_as_bytes())
            if not frame.fin:
                return
            data = b"".join(self.fragments)
            self.fragments.clear()
        else:
            data = frame.get_payload_as_bytes()
        if not self.in_flight:
            self.stats.error("an echo nobody asked for")
            return
        sent_at, index = self.in_flight.popleft()
        if data != self.ring[index]:
            self.stats.error(f"echo {self.sent - len(self.in_flight) - 1} differs ({len(data)} bytes)")
        else:
            self.stats.echoes += 1
            self.stats.bytes += len(data)
            if len(self.stats.latencies) < LATENCY_SAMPLES:
                self.stats.latencies.append(time.perf_counter() - sent_at)
        self._send_next()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.in_flight and not self.done.done():
            self.stats.error("disconnected with echoes missing")
        if not self.done.done():
            self.done.set_result(None)


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_echo(
    url: str,
    *,
    connections: int,
    size: int,
    depth: int,
    binary: bool,
    duration: float,
    max_messages: int,
    server_cpu: Any,
) -> dict[str, Any]:
    """Drive an echo server; return the scenario's figures."""
    ring = payload_ring(size, binary)
    stats = Stats()
    per_connection = max(1, max_messages // connections)
    # Connect first (not timed), then start every connection at once.
    far = time.monotonic() + 3600
    clients: list[EchoConnection] = []
    for start in range(0, connections, 100):
        batch = await asyncio.gather(
            *(
                ws_connect(
                    lambda: EchoConnection(ring, depth, binary, stats, far, per_connection),
                    url,
                    max_frame_size=64 * 1024 * 1024,
                    enable_auto_ping=False,
                )
                for _ in range(start, min(connections, start + 100))
            )
        )
        clients += [cast(EchoConnection, listener) for _transport, listener in batch]
    cpu_before = server_cpu()
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    deadline = time.monotonic() + duration
    for client in clients:
        client.deadline = deadline
        client.start()
    try:
        await asyncio.wait_for(asyncio.gather(*(c.done for c in clients)), timeout=duration + 30)
    except TimeoutError:
        stats.error("timed out waiting for echoes")
    elapsed = time.perf_counter() - began
    cpu_after = server_cpu()
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    for client in clients:
        if client.transport is not None:
            client.transport.send_close()
            client.transport.disconnect()
    client_cpu = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    server_seconds = cpu_after - cpu_before
    return {
        "messages": stats.echoes,
        "errors": stats.errors,
        "first_error": stats.first_error,
        "seconds": elapsed,
        "messages_per_s": stats.echoes / elapsed if elapsed else 0.0,
        "mb_per_s": stats.bytes / elapsed / 1e6 if elapsed else 0.0,
        "latency_p50_ms": percentile(stats.latencies, 0.50) * 1e3,
        "latency_p99_ms": percentile(stats.latencies, 0.99) * 1e3,
        "server_cpu_s": server_seconds,
        "server_cpu_us_per_message": server_seconds / stats.echoes * 1e6 if stats.echoes else float("nan"),
        "client_cpu_percent": client_cpu / elapsed * 100 if elapsed else 0.0,
    }
