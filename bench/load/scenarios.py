"""Scenarios beyond the echo: handshake rate, fan-out, idle memory, a slow reader.

Each function drives a running server (``Server``) on loopback, bounded in
time and count, and returns its figures.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import os
import struct
import time
import zlib
from typing import Any, cast

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from fastws.wire.rfc6455 import GUID

from .procstat import cpu_seconds, rss_bytes

_HELLO = b"hello"
_MASK = b"\x5a\x17\xc3\x9e"
_HELLO_FRAME = bytes((0x81, 0x80 | len(_HELLO))) + _MASK + bytes(b ^ _MASK[i % 4] for i, b in enumerate(_HELLO))
_CLOSE_FRAME = b"\x88\x82" + _MASK + bytes(b ^ _MASK[i] for i, b in enumerate(b"\x03\xe8"))  # 1000


def _upgrade_request(host: str, port: int, extra: bytes = b"") -> tuple[bytes, bytes]:
    """An opening handshake with a fresh key (``extra``: more header lines), and the accept key to expect."""
    key = base64.b64encode(os.urandom(16))
    request = (
        b"GET / HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() + b"\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n" + extra + b"\r\n"
    )
    return request, base64.b64encode(hashlib.sha1(key + GUID).digest())


class _OneHandshake(asyncio.Protocol):
    """One connection, checked at each step: the opening handshake, one echo, the close handshake.

    A raw asyncio protocol rather than a WebSocket client library: on two
    cores the client shares the machine with the server, and a library
    client costs more per connection than the fastest servers do, which
    would cap every server at the client's rate.
    """

    def __init__(self, host: str, port: int, done: asyncio.Future[bool]) -> None:
        self.request, self.accept = _upgrade_request(host, port)
        self.done = done
        self.buffer = b""
        self.stage = 0  # 0: awaiting the 101, 1: the echo, 2: the close frame, 3: closed cleanly
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        transport = cast(asyncio.Transport, self.transport)
        if self.stage == 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            head, buffer = buffer[:end], buffer[end + 4 :]
            if not head.startswith(b"HTTP/1.1 101 ") or b": " + self.accept + b"\r\n" not in head + b"\r\n":
                transport.abort()
                return
            self.stage = 1
            transport.write(_HELLO_FRAME)
        while self.stage in (1, 2) and len(buffer) >= 2 and len(buffer) >= 2 + (buffer[1] & 0x7F):
            frame, buffer = buffer[: 2 + (buffer[1] & 0x7F)], buffer[2 + (buffer[1] & 0x7F) :]
            if frame[0] in (0x89, 0x8A):  # a ping or pong some servers send: not what is checked
                continue
            if self.stage == 1 and frame == bytes((0x81, len(_HELLO))) + _HELLO:
                self.stage = 2
                transport.write(_CLOSE_FRAME)
            elif self.stage == 2 and frame[0] == 0x88:
                self.stage = 3
                transport.close()
            else:
                transport.abort()
                return
        self.buffer = buffer

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(self.stage == 3)


async def _one_handshake(host: str, port: int, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bool] = loop.create_future()
    transport, _ = await loop.create_connection(lambda: _OneHandshake(host, port, done), host, port)
    timer = loop.call_later(timeout, transport.abort)
    try:
        return await done
    finally:
        timer.cancel()


async def handshakes(url: str, pid: int, *, duration: float, workers: int = 16, limit: int = 200_000) -> dict[str, Any]:
    """Connections opened, one echo, closed: how many per second."""
    host, _, port = url.split("//", 1)[1].rstrip("/").rpartition(":")
    count = errors = 0
    deadline = time.monotonic() + duration

    async def worker() -> None:
        nonlocal count, errors
        while time.monotonic() < deadline and count + errors < limit:
            try:
                ok = await _one_handshake(host, int(port), timeout=5.0)
            except OSError:
                ok = False
            if ok:
                count += 1
            else:
                errors += 1

    cpu_before = cpu_seconds(pid)
    client_before = time.process_time()
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - began
    cpu = cpu_seconds(pid) - cpu_before
    client_cpu = time.process_time() - client_before
    return {
        "handshakes": count,
        "errors": errors,
        "seconds": elapsed,
        "handshakes_per_s": count / elapsed if elapsed else 0.0,
        "server_cpu_us_per_handshake": cpu / count * 1e6 if count else float("nan"),
        "client_cpu_percent": client_cpu / elapsed * 100 if elapsed else 0.0,
    }


class _Idle(WSListener):  # type: ignore[misc]
    pass


async def _connect_many(factory: Any, url: str, count: int) -> tuple[list[tuple[Any, Any]], int, str]:
    """Open ``count`` connections, 100 at a time: ``(transport, listener)`` pairs, errors, the first error."""
    opened: list[tuple[Any, Any]] = []
    errors = 0
    first_error = ""
    for start in range(0, count, 100):
        batch = await asyncio.gather(
            *(ws_connect(factory, url, enable_auto_ping=False, websocket_handshake_timeout=10)
              for _ in range(start, min(count, start + 100))),
            return_exceptions=True,
        )  # fmt: skip
        for item in batch:
            if isinstance(item, BaseException):
                errors += 1
                first_error = first_error or f"{type(item).__name__}: {item}"[:200]
            else:
                opened.append(item)
        if all(isinstance(item, BaseException) for item in batch):
            errors += max(0, count - start - len(batch))  # the server stopped accepting: stop here
            break
    return opened, errors, first_error


async def idle_memory(url: str, pid: int, *, connections: int) -> dict[str, Any]:
    """Server RSS per idle open connection, after ``connections`` connect.

    ``kib_per_connection`` is the growth from before the first over all of
    them; ``kib_marginal`` the growth from a quarter of them to all, per
    connection more: what one more costs, without the steps an allocator
    grows by once (1 MiB arenas, a heap's top) that land in the first
    window or before it as a process's memory happens to lie (2 MB, 0.2
    KiB a connection at 10,000, between two installs of one build).
    """
    warm, _ = await ws_connect(_Idle, url, enable_auto_ping=False)
    await asyncio.sleep(0.3)
    before = rss_bytes(pid)
    quarter = connections // 4
    first, errors, first_error = await _connect_many(_Idle, url, quarter)
    await asyncio.sleep(0.5)
    middle = rss_bytes(pid)
    rest, more_errors, rest_error = await _connect_many(_Idle, url, connections - quarter)
    pairs = first + rest
    transports = [warm] + [transport for transport, _ in pairs]
    await asyncio.sleep(1.0)  # let the server settle
    after = rss_bytes(pid)
    opened = len(pairs)
    for transport in transports:
        transport.disconnect()
    return {
        "requested": connections,
        "connections": opened,
        "errors": errors + more_errors,
        "first_error": first_error or rest_error,
        "rss_before_mb": before / 1e6,
        "rss_after_mb": after / 1e6,
        "kib_per_connection": (after - before) / max(1, opened) / 1024,
        "kib_marginal": (after - middle) / max(1, len(rest)) / 1024,
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
    writer.write(_upgrade_request(host, port)[0])
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
        except TimeoutError:
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


class _Member(WSListener):  # type: ignore[misc]
    """A room member of ``/fanout``: sends ``join``; ``joined`` resolves with the server's answer."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.joined: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        transport.send(WSMsgType.TEXT, b"join")

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != WSMsgType.TEXT:
            return
        data = frame.get_payload_as_bytes()
        if not self.joined.done():
            self.joined.set_result(data == b"joined")
        else:
            self.on_message(data)

    def on_message(self, data: bytes) -> None:
        """A message the room sent, after the join."""

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.joined.done():
            self.joined.set_result(False)
        self.on_lost()

    def on_lost(self) -> None:
        """The connection is gone."""


class _RoomMember(_Member):
    """A fan-out client: checks each message is the round's payload."""

    def __init__(self, room: _Room) -> None:
        super().__init__()
        self.room = room

    def on_message(self, data: bytes) -> None:
        self.room.delivered(data)

    def on_lost(self) -> None:
        self.room.lost()


class _Room:
    """What the fan-out clients saw of the current round."""

    def __init__(self, members: int) -> None:
        self.members = members
        self.expected = b""
        self.received = 0
        self.errors = 0
        self.first_error = ""
        self.complete: asyncio.Future[None] | None = None

    def begin(self, payload: bytes) -> asyncio.Future[None]:
        self.expected = payload
        self.received = 0
        self.complete = asyncio.get_running_loop().create_future()
        return self.complete

    def delivered(self, data: bytes) -> None:
        if data != self.expected:
            self._error(f"a member got {data[:40]!r}, not this round's {self.expected[:40]!r}")
        self.received += 1
        if self.received == self.members and self.complete is not None and not self.complete.done():
            self.complete.set_result(None)

    def lost(self) -> None:
        if self.complete is not None and not self.complete.done():
            self._error("a member was disconnected mid-round")
            self.complete.set_result(None)

    def _error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def fanout(url: str, pid: int, *, members: int, duration: float, size: int = 64,
                 max_rounds: int = 1000) -> dict[str, Any]:  # fmt: skip
    """One message to ``members`` connected clients: time until all have it.

    Every member joins the server's room first (not timed). Then, round
    after round, one member publishes a fresh payload of ``size`` bytes and
    the round ends when every member (the publisher too) has received it,
    verified byte for byte. Bounded by ``duration`` and ``max_rounds``.
    """
    room = _Room(members)
    opened, errors, first_error = await _connect_many(lambda: _RoomMember(room), url, members)
    clients = [cast(_RoomMember, listener) for _, listener in opened]
    room.first_error = first_error
    joined = await asyncio.gather(*(asyncio.wait_for(c.joined, timeout=10) for c in clients), return_exceptions=True)
    errors += sum(1 for ok in joined if ok is not True)
    room.members = len(clients)
    times: list[float] = []
    cpu_before = cpu_seconds(pid)
    began = time.perf_counter()
    deadline = time.monotonic() + duration
    while clients and not errors and len(times) < max_rounds and time.monotonic() < deadline:
        payload = f"{len(times):08d}:".encode().ljust(size, b"f")
        complete = room.begin(payload)
        sent_at = time.perf_counter()
        clients[len(times) % len(clients)].transport.send(WSMsgType.TEXT, b"pub " + payload)
        try:
            await asyncio.wait_for(complete, timeout=30)
        except TimeoutError:
            room._error(f"round {len(times)}: {room.received} of {room.members} received within 30 s")
            break
        times.append(time.perf_counter() - sent_at)
        if room.errors:
            break
    elapsed = time.perf_counter() - began
    cpu = cpu_seconds(pid) - cpu_before
    for client in clients:
        client.transport.disconnect()
    deliveries = len(times) * room.members
    ordered = sorted(times)
    return {
        "requested": members,
        "members": room.members,
        "rounds": len(times),
        "errors": errors + room.errors,
        "first_error": room.first_error,
        "fanout_p50_ms": ordered[len(ordered) // 2] * 1e3 if ordered else float("nan"),
        "fanout_p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1e3 if ordered else float("nan"),
        "deliveries_per_s": deliveries / elapsed if elapsed else 0.0,
        "server_cpu_us_per_delivery": cpu / deliveries * 1e6 if deliveries else float("nan"),
    }


class _OneMessageThenIdle(asyncio.Protocol):
    """Upgrade (offering permessage-deflate or not), send one message and read its echo (or not), then stay open."""

    def __init__(self, host: str, port: int, offer_deflate: bool, exchange: bool = True) -> None:
        self.exchange = exchange
        offer = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if offer_deflate else b""
        self.request = _upgrade_request(host, port, offer)[0]
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.negotiated: bool | None = None  # set by the 101
        self.compressed_echo = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.negotiated is None:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            if not head.startswith(b"HTTP/1.1 101 "):
                self._finish(False)
                return
            self.negotiated = b"permessage-deflate" in head.lower()
            self.buffer = rest
            if not self.exchange:
                self._finish(True)
                return
            payload, first = (_HELLO, 0x81)
            if self.negotiated:  # RFC 7692 7.2.1: deflate, strip the sync flush's tail, set RSV1
                compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
                payload = (compressor.compress(_HELLO) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
                first = 0xC1
            masked = bytes(b ^ _MASK[i % 4] for i, b in enumerate(payload))
            cast(asyncio.Transport, self.transport).write(bytes((first, 0x80 | len(payload))) + _MASK + masked)
        if len(self.buffer) >= 2 and len(self.buffer) >= 2 + (self.buffer[1] & 0x7F):
            self.compressed_echo = bool(self.buffer[0] & 0x40)
            self._finish(self.buffer[0] & 0x0F == 1)  # a text frame came back

    def _finish(self, ok: bool) -> None:
        if not self.ready.done():
            self.ready.set_result(ok)

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(False)


async def deflate_memory(
    host: str, port: int, pid: int, *, connections: int, offer_deflate: bool, exchange: bool = True
) -> dict[str, Any]:
    """Server RSS per idle connection, permessage-deflate offered or not, after one message each way or none.

    Used once, a connection's compressor and decompressor exist: this is
    what deflate costs an idle connection. Without a message, it is what
    merely negotiating it costs (servers that create them lazily pay nothing).
    """
    loop = asyncio.get_running_loop()
    warm = _OneMessageThenIdle(host, port, offer_deflate)
    await loop.create_connection(lambda: warm, host, port)
    await asyncio.wait_for(warm.ready, 10)
    await asyncio.sleep(0.3)
    before = rss_bytes(pid)
    clients: list[_OneMessageThenIdle] = []
    errors = 0
    for start in range(0, connections, 100):
        count = min(connections, start + 100) - start
        batch = [_OneMessageThenIdle(host, port, offer_deflate, exchange) for _ in range(count)]
        opened = await asyncio.gather(
            *(loop.create_connection(lambda c=c: c, host, port) for c in batch),
            return_exceptions=True,  # type: ignore[misc]
        )
        for client, result in zip(batch, opened, strict=True):
            ok = not isinstance(result, BaseException) and await asyncio.wait_for(client.ready, 10)
            if ok:
                clients.append(client)
            else:
                errors += 1
    await asyncio.sleep(1.0)  # let the server settle
    after = rss_bytes(pid)
    for client in [warm, *clients]:
        if client.transport is not None:
            client.transport.abort()
    return {
        "requested": connections,
        "connections": len(clients),
        "deflate_offered": offer_deflate,
        "exchanged_a_message": exchange,
        "deflate_negotiated": sum(bool(c.negotiated) for c in clients),
        "compressed_echoes": sum(c.compressed_echo for c in clients),
        "errors": errors,
        "kib_per_connection": (after - before) / max(1, len(clients)) / 1024,
    }


class _ChatMember(_Member):
    """A chat member: sends its next message when its previous one came back; checks every sender's order."""

    def __init__(self, chat: _Chat, number: int) -> None:
        super().__init__()
        self.chat = chat
        self.number = number
        self.sent = 0
        self.last: dict[int, int] = {}  # sender -> last sequence number seen

    def send_next(self) -> None:
        if time.monotonic() < self.chat.deadline:
            payload = f"{self.number:05d}:{self.sent:09d}:".encode().ljust(self.chat.size, b"c")
            self.transport.send(WSMsgType.TEXT, b"pub " + payload)
            self.sent += 1
            self.chat.sent += 1

    def on_message(self, data: bytes) -> None:
        try:
            sender, sequence = int(data[:5]), int(data[6:15])
        except ValueError:
            self.chat.error(f"a member got {data[:40]!r}")
            return
        if sequence != self.last.get(sender, -1) + 1 or len(data) != self.chat.size:
            self.chat.error(f"member {self.number} got {sender}:{sequence} after {self.last.get(sender)}")
        self.last[sender] = sequence
        self.chat.delivered()
        if sender == self.number:
            self.send_next()


class _Chat:
    """The room's totals: what was sent, what was delivered, and when all is in."""

    def __init__(self, members: int, size: int, deadline: float) -> None:
        self.members, self.size, self.deadline = members, size, deadline
        self.sent = self.received = self.errors = 0
        self.first_error = ""
        self.settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def delivered(self) -> None:
        self.received += 1
        done = time.monotonic() >= self.deadline and self.received == self.sent * self.members
        if done and not self.settled.done():
            self.settled.set_result(None)

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


async def chat(url: str, pid: int, *, members: int, duration: float, size: int = 64) -> dict[str, Any]:
    """granian's chat-room workload: every member sends, and receives everyone's messages.

    Each member sends its next message as soon as its previous one came
    back, until ``duration`` ends; then the run waits for every message to
    reach every member. Every delivery is checked: each sender's messages
    arrive at each member once, in order.
    """
    room = _Chat(members, size, deadline=float("inf"))
    numbers = itertools.count()
    opened, errors, first_error = await _connect_many(lambda: _ChatMember(room, next(numbers)), url, members)
    clients = [cast(_ChatMember, listener) for _, listener in opened]
    joined = await asyncio.gather(*(asyncio.wait_for(c.joined, timeout=10) for c in clients), return_exceptions=True)
    errors += sum(1 for ok in joined if ok is not True)
    room.members = len(clients)
    cpu_before = cpu_seconds(pid)
    began = time.perf_counter()
    room.deadline = time.monotonic() + duration
    for client in clients:
        client.send_next()
    try:
        await asyncio.wait_for(room.settled, timeout=duration + 30)
    except TimeoutError:
        room.error(f"{room.received} of {room.sent * room.members} deliveries arrived")
    elapsed = time.perf_counter() - began
    cpu = cpu_seconds(pid) - cpu_before
    for client in clients:
        client.transport.disconnect()
    return {
        "members": room.members,
        "messages": room.sent,
        "deliveries": room.received,
        "errors": errors + room.errors,
        "first_error": first_error or room.first_error,
        "deliveries_per_s": room.received / elapsed if elapsed else 0.0,
        "server_cpu_us_per_delivery": cpu / room.received * 1e6 if room.received else float("nan"),
    }
