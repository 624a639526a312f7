"""``python -m bench.hostile``: one client playing each attacker of issue 13, against real servers.

    python -m bench.hostile                                   # fastws (this tree) and uvicorn's default
    python -m bench.hostile --python before=/tmp/old/bin/python --python after=.venv/bin/python
    python -m bench.hostile --scenarios queue,heads --quick   # a subset, shorter waits

Each server is a uvicorn process serving ``bench.load.apps:plain`` (a raw
ASGI echo) on loopback, stopped by process id after each scenario: as
``fastws run`` sets it up (fastws' HTTP front and wire layer, uvloop), and
uvicorn's default stack (httptools, websockets-sansio) for reference.
``--python label=PATH`` runs the fastws server with another interpreter
(e.g. a virtualenv of an older checkout), so a before and an after are
measured in one run. The figures are the server process's resident memory
(``/proc``), HTTP statuses, and whether and when the server let go.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

from .load.procstat import rss_bytes
from .load.servers import free_port

MiB = 1024 * 1024
HEAD_TIMEOUT = 10.0  # fastws' defaults, which the waits below outlast
CLOSE_TIMEOUT = 10.0
ORIGIN_POLICY = {"FASTWS_WS_ALLOWED_ORIGINS": "https://app.example.com"}


@dataclass
class Target:
    """A server to attack: how to start it."""

    label: str
    python: str
    http: str
    ws: str
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    errors: Any = None  # the server's stderr

    def start(self, env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.port = free_port()
        command = [
            self.python, "-m", "uvicorn", "bench.load.apps:plain", "--host", "127.0.0.1", "--port", str(self.port),
            "--loop", "uvloop", "--http", self.http, "--ws", self.ws, "--log-level", "critical", "--no-access-log",
            "--lifespan", "off", "--ws-ping-interval", "0", *(args or []),
        ]  # fmt: skip
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - the server's stderr, open as long as the server runs
        self.process = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=self.errors,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    self.errors.seek(0)
                    said = self.errors.read().decode(errors="replace")[-1500:]
                    raise RuntimeError(f"{self.label} did not start: {said}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)

    def rss(self) -> int:
        assert self.process is not None
        return rss_bytes(self.process.pid)


# ----------------------------------------------------------------- the client

KEY = base64.b64encode(b"0123456789abcdef")


def upgrade(extra: bytes = b"", line: bytes = b"GET / HTTP/1.1") -> bytes:
    return (
        line + b"\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n"
    )


def frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (zero mask)."""
    n = len(payload)
    if n < 126:
        length = bytes([0x80 | n])
    elif n < 65536:
        length = bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        length = bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return bytes([0x80 | opcode]) + length + b"\0\0\0\0" + payload


async def open_ws(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    writer.write(upgrade())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def answer(port: int, data: bytes, wait: float = 3.0) -> str:
    """The status a head gets, ``no answer`` (still open after ``wait``) or ``closed``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        try:
            got = await asyncio.wait_for(reader.read(200), wait)
        except TimeoutError:
            return "no answer"
        except OSError:
            return "reset"
        return got.split(b" ", 2)[1].decode() if got.startswith(b"HTTP/1.1 ") else ("closed" if not got else "?")
    finally:
        writer.transport.abort()


async def fill(port: int, size: int, seconds: float, target: Target) -> tuple[asyncio.StreamWriter, int]:
    """Send ``size`` messages without reading the echoes for ``seconds``; return the writer and peak RSS."""
    _reader, writer = await open_ws(port)
    _stop_reading(writer)
    message = frame(0x2, b"\0" * size)
    peak = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        writer.write(message)
        try:
            await asyncio.wait_for(writer.drain(), 0.25)
        except TimeoutError:
            pass
        peak = max(peak, target.rss())
    return writer, peak


def _stop_reading(writer: asyncio.StreamWriter) -> None:
    """Read nothing more: what the server writes stays in the sockets' buffers."""
    cast(asyncio.Transport, writer.transport).pause_reading()


def mib(n: float) -> str:
    return f"{n / MiB:,.0f} MiB"


# ---------------------------------------------------------------- scenarios

Scenario = Callable[[Target, bool], Coroutine[Any, Any, dict[str, str]]]


async def queue(target: Target, quick: bool) -> dict[str, str]:
    """Finding 1: big messages, echoes never read: what one connection makes the server hold."""
    out = {}
    for size in (16 * MiB, 4 * MiB):
        target.start()
        base = target.rss()
        writer, peak = await fill(target.port, size, 3 if quick else 6, target)
        writer.transport.abort()
        out[f"{size // MiB} MiB messages: peak RSS over baseline"] = mib(peak - base)
        target.stop()
    return out


async def after_close(target: Target, quick: bool) -> dict[str, str]:
    """Finding 2: RSS 3 s after each of four connect-fill-reset rounds."""
    target.start()
    base = target.rss()
    rounds = []
    for _ in range(4):
        writer, _ = await fill(target.port, 16 * MiB, 2 if quick else 4, target)
        writer.transport.abort()
        await asyncio.sleep(3)
        rounds.append(target.rss() - base)
    target.stop()
    return {"RSS over baseline 3 s after each of 4 rounds": " → ".join(mib(r) for r in rounds)}


async def empties(target: Target, quick: bool) -> dict[str, str]:
    """Empty messages (6 bytes each on the wire), echoes never read, on many connections: what the server holds."""
    count = 10 if quick else 50
    target.start()
    base = target.rss()
    chunk = frame(0x2, b"") * (256 * 1024 // 6)  # one read's worth of empty messages
    writers = []
    for _ in range(count):
        _reader, writer = await open_ws(target.port)
        _stop_reading(writer)
        writers.append(writer)
    peak = 0
    deadline = time.monotonic() + (3 if quick else 6)
    while time.monotonic() < deadline:
        for writer in writers:
            writer.write(chunk)
        await asyncio.sleep(0.1)
        peak = max(peak, target.rss())
    for writer in writers:
        writer.transport.abort()
    target.stop()
    return {f"{count} connections: peak RSS over baseline": mib(peak - base)}


async def heads(target: Target, quick: bool) -> dict[str, str]:
    """Finding 3: oversized upgrade heads, and one that never ends."""
    target.start()
    out = {
        "1 MiB header block": await answer(target.port, upgrade((b"X-B: " + b"y" * 1000 + b"\r\n") * 1024)),
        "10,000 headers": await answer(target.port, upgrade(b"X-N: 1\r\n" * 10_000)),
        "one 100 KiB line": await answer(target.port, upgrade(b"X-Big: " + b"y" * 100_000 + b"\r\n")),
    }
    base = target.rss()
    _reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    sent = 0
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
        line = b"X-Line: " + b"y" * 8000 + b"\r\n"
        while sent < 16 * MiB:
            writer.write(line * 16)
            await asyncio.wait_for(writer.drain(), 5)
            sent += len(line) * 16
    except (TimeoutError, OSError):
        pass
    await asyncio.sleep(0.5)
    out[f"a head that never ends: {mib(sent)} sent, RSS over baseline"] = mib(target.rss() - base)
    writer.transport.abort()
    target.stop()
    return out


async def strict(target: Target, quick: bool) -> dict[str, str]:
    """Finding 4: control bytes in a head, garbage, bare LF."""
    target.start()
    out = {
        "NUL in a value": await answer(target.port, upgrade(b"X-A: a\0b\r\n")),
        "bare CR in a value": await answer(target.port, upgrade(b"X-A: a\rb\r\n")),
        "0x01 in a value": await answer(target.port, upgrade(b"X-A: a\x01b\r\n")),
        "DEL in the path": await answer(target.port, upgrade(line=b"GET /a\x7fb HTTP/1.1")),
        "GET then garbage": await answer(target.port, b"GET \x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
        "bare-LF head": await answer(target.port, upgrade().replace(b"\r\n", b"\n")),
    }
    target.stop()
    return out


async def stalls(target: Target, quick: bool) -> dict[str, str]:
    """Finding 5: trickled heads, an unflushable echo after the peer's Close, a ping flood."""
    out = {}
    target.start()
    count = 100 if quick else 500
    trickled = [await asyncio.open_connection("127.0.0.1", target.port) for _ in range(count)]
    head = upgrade()
    began = time.monotonic()
    k = 0
    while time.monotonic() - began < HEAD_TIMEOUT + 2:
        for _reader, writer in trickled:
            if not writer.transport.is_closing():
                try:
                    writer.write(head[k : k + 1])
                except OSError:
                    pass
        k += 1
        await asyncio.sleep(1)
    await asyncio.sleep(0.2)
    still = sum(not _server_closed(writer) for _, writer in trickled)
    out[f"{count} heads trickled 1 byte/s: open after {HEAD_TIMEOUT + 2:.0f} s"] = str(still)
    for _, writer in trickled:
        writer.transport.abort()

    base = target.rss()
    _reader, writer = await open_ws(target.port)
    _stop_reading(writer)
    writer.write(frame(0x2, b"\0" * (16 * MiB)))  # its echo fills the server's buffer, never read
    await asyncio.sleep(1)
    writer.write(frame(0x8, b"\x03\xe8"))  # our Close: the server's echo of it waits behind
    await asyncio.sleep(CLOSE_TIMEOUT + 2)
    closed = _server_closed(writer)
    out[f"one 16 MiB echo unread, then the peer's Close: after {CLOSE_TIMEOUT + 2:.0f} s"] = (
        "closed" if closed else f"still open, RSS over baseline {mib(target.rss() - base)}"
    )
    writer.transport.abort()
    target.stop()

    target.start()
    _reader, writer = await open_ws(target.port)
    _stop_reading(writer)
    writer.write(frame(0x2, b"\0" * (16 * MiB)))  # its echo fills the server's buffer
    await asyncio.sleep(1)
    base = target.rss()
    pings = 200_000 if quick else 1_000_000
    ping = frame(0x9, b"p" * 100)
    for _ in range(pings // 10_000):
        writer.write(ping * 10_000)
        await asyncio.wait_for(writer.drain(), 30)
    await asyncio.sleep(2)
    out[f"{pings:,} pings, pongs never read: RSS over baseline"] = mib(target.rss() - base)
    writer.transport.abort()
    target.stop()
    return out


def _server_closed(writer: asyncio.StreamWriter) -> bool:
    """Whether the server closed (or reset) the socket, whatever the client has read: TCP_INFO's state."""
    sock = writer.get_extra_info("socket")
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    state: int = struct.unpack("B", info[:1])[0]
    return state != 1  # 1: ESTABLISHED; CLOSE_WAIT (8) once the server sent FIN, or gone


async def origin(target: Target, quick: bool) -> dict[str, str]:
    """Finding 6: a foreign Origin, with the policy set (FASTWS_WS_ALLOWED_ORIGINS)."""
    target.start(env=ORIGIN_POLICY)
    out = {
        "Origin: https://evil.example": await answer(target.port, upgrade(b"Origin: https://evil.example\r\n")),
        "Origin: https://app.example.com": await answer(target.port, upgrade(b"Origin: https://app.example.com\r\n")),
    }
    target.stop()
    return out


async def limit(target: Target, quick: bool) -> dict[str, str]:
    """Connection limit: --limit-concurrency 10, then 20 upgrades held open."""
    target.start(args=["--limit-concurrency", "10"])
    statuses: dict[str, int] = {}
    held = []
    for _ in range(20):
        reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
        writer.write(upgrade())
        got = await asyncio.wait_for(reader.read(200), 5)
        status = got.split(b" ", 2)[1].decode() if got else "closed"
        statuses[status] = statuses.get(status, 0) + 1
        held.append(writer)
    for writer in held:
        writer.transport.abort()
    target.stop()
    return {"20 upgrades at --limit-concurrency 10": ", ".join(f"{n} × {s}" for s, n in sorted(statuses.items()))}


SCENARIOS: dict[str, Scenario] = {
    "queue": queue, "after-close": after_close, "empties": empties, "heads": heads, "strict": strict, "stalls": stalls,
    "origin": origin, "limit": limit,
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="a fastws server run by this interpreter (default: fastws=this one)",
    )
    parser.add_argument("--no-uvicorn", action="store_true", help="leave out uvicorn's default stack")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="shorter floods and waits")
    args = parser.parse_args(argv)
    pythons = [entry.split("=", 1) for entry in args.python] or [["fastws", sys.executable]]
    targets = [Target(label, path, "fastws.http:HttpProtocol", "fastws.protocol:WebSocketProtocol")
               for label, path in pythons]  # fmt: skip
    if not args.no_uvicorn:
        targets.append(Target("uvicorn default", sys.executable, "httptools", "websockets-sansio"))
    rows: dict[str, dict[str, str]] = {}
    for name in args.scenarios.split(","):
        for target in targets:
            print(f"-- {name}: {target.label}", file=sys.stderr, flush=True)
            try:
                results = asyncio.run(SCENARIOS[name](target, args.quick))
            finally:
                target.stop()
            for what, figure in results.items():
                rows.setdefault(f"{name}: {what}", {})[target.label] = figure
    labels = [t.label for t in targets]
    print("| attack | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for what, figures in rows.items():
        print(f"| {what} | " + " | ".join(figures.get(label, "") for label in labels) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
