"""Scenarios beyond the echo: handshake rate, idle memory, a slow reader.

Each function drives a running server (``Server``) on loopback, bounded in
time and count, and returns its figures.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from .procstat import cpu_seconds, rss_bytes


class _OneEcho(WSListener):  # type: ignore[misc]
    """Send one message on connect; done when its echo arrives."""

    def __init__(self) -> None:
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport: WSTransport) -> None:
        transport.send(WSMsgType.TEXT, b"hello")

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if not self.done.done():
            self.done.set_result(frame.msg_type == WSMsgType.TEXT and frame.get_payload_as_bytes() == b"hello")

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.done.done():
            self.done.set_result(False)


async def handshakes(url: str, pid: int, *, duration: float, workers: int = 8, limit: int = 100_000) -> dict[str, Any]:
    """Connections opened, one echo, closed: how many per second."""
    count = errors = 0
    deadline = time.monotonic() + duration

    async def worker() -> None:
        nonlocal count, errors
        while time.monotonic() < deadline and count + errors < limit:
            try:
                transport, listener = await ws_connect(_OneEcho, url, enable_auto_ping=False)
                ok = await asyncio.wait_for(listener.done, timeout=5)  # type: ignore[attr-defined]
                transport.send_close()
                transport.disconnect()
                await transport.wait_disconnected()
            except (OSError, asyncio.TimeoutError, RuntimeError):
                ok = False
            if ok:
                count += 1
            else:
                errors += 1

    cpu_before = cpu_seconds(pid)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - began
    cpu = cpu_seconds(pid) - cpu_before
    return {
        "handshakes": count,
        "errors": errors,
        "seconds": elapsed,
        "handshakes_per_s": count / elapsed if elapsed else 0.0,
        "server_cpu_us_per_handshake": cpu / count * 1e6 if count else float("nan"),
    }


class _Idle(WSListener):  # type: ignore[misc]
    pass


async def idle_memory(url: str, pid: int, *, connections: int) -> dict[str, Any]:
    """Server RSS per idle open connection, after ``connections`` connect."""
    warm, _ = await ws_connect(_Idle, url, enable_auto_ping=False)
    await asyncio.sleep(0.3)
    before = rss_bytes(pid)
    transports = [warm]
    errors = 0
    first_error = ""
    for start in range(0, connections, 100):
        batch = await asyncio.gather(
            *(ws_connect(_Idle, url, enable_auto_ping=False, websocket_handshake_timeout=10)
              for _ in range(start, min(connections, start + 100))),
            return_exceptions=True,
        )  # fmt: skip
        for item in batch:
            if isinstance(item, BaseException):
                errors += 1
                first_error = first_error or f"{type(item).__name__}: {item}"[:200]
            else:
                transports.append(item[0])
        if all(isinstance(item, BaseException) for item in batch):
            errors += max(0, connections - start - len(batch))  # the server stopped accepting: stop here
            break
    await asyncio.sleep(1.0)  # let the server settle
    after = rss_bytes(pid)
    opened = len(transports) - 1
    for transport in transports:
        transport.disconnect()
    return {
        "requested": connections,
        "connections": opened,
        "errors": errors,
        "first_error": first_error,
        "rss_before_mb": before / 1e6,
        "rss_after_mb": after / 1e6,
        "kib_per_connection": (after - before) / max(1, opened) / 1024,
    }


def _client_frame(payload: bytes) -> bytes:
    """A masked binary frame (all-zero mask: the payload goes as it is)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x82, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x82, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x82, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


async def slow_reader(host: str, port: int, pid: int, *, duration: float, size: int = 65536) -> dict[str, Any]:
    """One client that sends echo requests but never reads: RSS must stay bounded."""
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
    accepted = response.startswith(b"HTTP/1.1 101")
    writer.transport.pause_reading()  # type: ignore[attr-defined]  # from now on, never read
    before = rss_bytes(pid)
    peak = before
    sent = 0
    frame = _client_frame(b"x" * size)
    deadline = time.monotonic() + duration
    while accepted and time.monotonic() < deadline:
        writer.write(frame)
        try:
            await asyncio.wait_for(writer.drain(), timeout=max(0.01, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break  # the server stopped reading us: backpressure works
        sent += len(frame)
        peak = max(peak, rss_bytes(pid)) if sent % (size * 64) == 0 else peak
    await asyncio.sleep(0.5)
    peak = max(peak, rss_bytes(pid))
    writer.transport.abort()
    return {
        "accepted": accepted,
        "sent_mb": sent / 1e6,
        "rss_before_mb": before / 1e6,
        "rss_peak_mb": peak / 1e6,
        "rss_growth_mb": (peak - before) / 1e6,
    }
