"""``python -m bench.inproc``: the wire layers' own CPU cost, in process, with no network.

Each uvicorn ``--ws`` protocol class is driven through a fake transport on
uvloop: the upgrade request, then echoes of 32-byte text messages, then the
peer's close. It prints the CPU time (``process_time``) per echo and per
connection (handshake + one echo + close) for fastws' protocol (raw ASGI,
behind ``fastws run``'s HTTP front too,
``fastws.WebSocket`` on its direct path and with the direct path off) and
uvicorn's default (``websockets-sansio``), and the CPU time per delivery of
a ``fastws.Broadcast`` fan-out to 1,000 subscribers (``bench.load``'s
``broadcast_app``; each transport's ``write`` is a C call that keeps the
frame) and of the raw ASGI app's fan-out (an ASGI ``send`` per member),
and per delivery of granian's chat of 8 (each member publishes in turn,
every member receives) for the app the docs show (Starlette,
``fastws.WebSocket``, ``fastws.Broadcast``) and for the raw ASGI app.
The kernel, uvicorn's HTTP protocol and the client are left out: this
isolates what the WebSocket layer itself costs, to complement
``bench.load``'s end-to-end figures.

    python -m bench.inproc              # 20,000 echoes, 3,000 connections per row
    python -m bench.inproc --n 50       # a quick check that it runs
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from fastws.http import HttpProtocol
from fastws.protocol import WebSocketProtocol

from ._common import masked_text
from .load.apps import FANOUT_PATH, broadcast_app, broadcast_hub, fastws_app, plain, starlette_broadcast_app

REQUEST = (
    b"GET / HTTP/1.1\r\nhost: 127.0.0.1:8000\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
    b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nuser-agent: bench\r\n\r\n"
)


ECHO = masked_text(b"x" * 32)
CLOSE = b"\x88\x80\0\0\0\0"
JOIN = masked_text(b"join")
MEMBERS = 1000
CHATTERS = 8
#: one server's lifespan state: uvicorn gives every connection the same
APP_STATE: dict[str, Any] = {}


class NoDirectPath(WebSocketProtocol):
    """fastws' protocol with ``fastws.WebSocket``'s direct path off (``send`` overridden)."""

    __slots__ = ()

    async def send(self, message: dict[str, Any]) -> None:
        await WebSocketProtocol.send(self, message)


class FakeTransport(asyncio.Transport):
    """Records writes; ``written`` resolves at the next one."""

    def __init__(self) -> None:
        super().__init__()
        self.written: asyncio.Future[None] | None = None
        self.closing = False
        self.protocol: Any = None

    def write(self, data: Any) -> None:
        if self.written is not None and not self.written.done():
            self.written.set_result(None)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_write_buffer_size(self) -> int:
        return 0  # every write is taken at once

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol  # an HTTP front handing the connection over (before fastws' took it whole)

    def get_protocol(self) -> Any:
        return self.protocol

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _until_written(transport: FakeTransport, protocol: Any, data: bytes) -> None:
    transport.written = asyncio.get_running_loop().create_future()
    protocol.data_received(data)
    await transport.written  # the whole run is bounded in main()


def _config(app: Any, cls: type) -> uvicorn.Config:
    ws = WebSocketProtocol if cls is HttpProtocol else cls  # the front: fastws run's --http and --ws
    config = uvicorn.Config(app, ws=ws, http=HttpProtocol, lifespan="off", ws_ping_interval=0,
                            ws_per_message_deflate=False, proxy_headers=False, log_level="warning")  # fmt: skip
    config.load()
    return config


async def _open(
    config: uvicorn.Config, cls: type, state: ServerState, request: bytes = REQUEST
) -> tuple[Any, FakeTransport]:
    protocol = cls(config=config, server_state=state, app_state=APP_STATE, _loop=asyncio.get_running_loop())
    transport = FakeTransport()
    protocol.connection_made(transport)
    await _until_written(transport, protocol, request)  # the 101
    return transport.protocol or protocol, transport


async def per_echo(app: Any, cls: type, n: int) -> float:
    """CPU µs per echo on one open connection."""
    protocol, transport = await _open(_config(app, cls), cls, ServerState())
    began = time.process_time()
    for _ in range(n):
        await _until_written(transport, protocol, ECHO)
    spent = time.process_time() - began
    protocol.data_received(CLOSE)
    protocol.connection_lost(None)
    await asyncio.sleep(0)
    return spent / n * 1e6


async def per_connection(app: Any, cls: type, n: int) -> float:
    """CPU µs per connection: handshake, one echo, the peer's close."""
    config, state = _config(app, cls), ServerState()
    began = time.process_time()
    for _ in range(n):
        protocol, transport = await _open(config, cls, state)
        await _until_written(transport, protocol, ECHO)
        protocol.data_received(CLOSE)
        protocol.connection_lost(None)
        await asyncio.sleep(0)
    return (time.process_time() - began) / n * 1e6


async def _room(app: Any, members: int = MEMBERS) -> tuple[list[Any], list[bytes]]:
    """``members`` connections joined to ``app``'s fan-out room; their writes go to one list (a C call, as
    uvloop's write is)."""
    config, state = _config(app, WebSocketProtocol), ServerState()
    request = REQUEST.replace(b"GET / ", b"GET " + FANOUT_PATH.encode() + b" ")
    written: list[bytes] = []
    opened = []
    for _ in range(members):
        protocol, transport = await _open(config, WebSocketProtocol, state, request)
        await _until_written(transport, protocol, JOIN)  # "joined"
        transport.write = written.append  # type: ignore[method-assign]
        opened.append(protocol)
    return opened, written


async def per_delivery(n: int) -> float:
    """CPU µs per delivery of a ``fastws.Broadcast`` publish to ``MEMBERS`` subscribers."""
    opened, written = await _room(broadcast_app)
    hub = await broadcast_hub()
    rounds = max(1, n // MEMBERS)
    began = time.process_time()
    for _ in range(rounds):
        await hub.publish("room", "x" * 32)
        written.clear()
    spent = time.process_time() - began
    for protocol in opened:
        protocol.connection_lost(None)
    await asyncio.sleep(0)
    return spent / (rounds * MEMBERS) * 1e6


async def per_asgi_delivery(n: int) -> float:
    """CPU µs per delivery of the raw ASGI app's fan-out (an ASGI ``send`` per member) to ``MEMBERS``."""
    opened, written = await _room(plain)
    publish = masked_text(b"pub " + b"x" * 32)
    rounds = max(1, n // MEMBERS)
    began = time.process_time()
    for _ in range(rounds):
        opened[0].data_received(publish)
        while len(written) < MEMBERS:  # the publisher's app sends to every member in one step
            await asyncio.sleep(0)
        written.clear()
    spent = time.process_time() - began
    for protocol in opened:
        protocol.connection_lost(None)
    await asyncio.sleep(0)
    return spent / (rounds * MEMBERS) * 1e6


async def per_chat_delivery(app: Any, n: int, members: int = CHATTERS) -> float:
    """CPU µs per delivery of granian's chat: each of ``members`` in turn publishes, every member receives."""
    opened, written = await _room(app, members)
    publish = masked_text(b"pub " + b"x" * 32)
    rounds = max(1, n // (members * members))
    began = time.process_time()
    for _ in range(rounds):
        for protocol in opened:
            protocol.data_received(publish)
            while len(written) < members:  # the sender's app task wakes, publishes, every member has it
                await asyncio.sleep(0)
            written.clear()
    spent = time.process_time() - began
    for protocol in opened:
        protocol.connection_lost(None)
    await asyncio.sleep(0)
    return spent / (rounds * members * members) * 1e6


ROWS = [
    ("fastws protocol, raw ASGI", plain, WebSocketProtocol),
    ("fastws.http front and protocol, raw ASGI", plain, HttpProtocol),
    ("fastws protocol, fastws.WebSocket", fastws_app, WebSocketProtocol),
    ("fastws protocol, fastws.WebSocket, no direct path", fastws_app, NoDirectPath),
    ("websockets-sansio, raw ASGI", plain, WebSocketsSansIOProtocol),
]


CHAT_ROWS = [
    ("chat of 8, Starlette + fastws.Broadcast", starlette_broadcast_app),
    ("chat of 8, raw ASGI", plain),
]


async def run(n: int) -> list[tuple[str, float, float]]:
    results = []
    for name, app, cls in ROWS:
        echo = await per_echo(app, cls, n)
        connection = await per_connection(app, cls, max(1, n // 7))
        results.append((name, echo, connection))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--n", type=int, default=20_000, help="echoes per row (connections: n // 7)")
    args = parser.parse_args(argv)
    import uvloop

    for name, echo, connection in uvloop.run(asyncio.wait_for(run(args.n), 600)):
        print(f"{name:52s} {echo:7.2f} µs CPU per echo   {connection:7.1f} µs CPU per connection")
    delivery = uvloop.run(asyncio.wait_for(per_delivery(args.n * 10), 600))
    print(f"{'fastws.Broadcast fan-out to 1,000, fastws protocol':52s} {delivery:7.3f} µs CPU per delivery")
    delivery = uvloop.run(asyncio.wait_for(per_asgi_delivery(args.n * 10), 600))
    print(f"{'raw ASGI fan-out to 1,000, fastws protocol':52s} {delivery:7.3f} µs CPU per delivery")
    for name, app in CHAT_ROWS:
        delivery = uvloop.run(asyncio.wait_for(per_chat_delivery(app, args.n * 10), 600))
        print(f"{name:52s} {delivery:7.3f} µs CPU per delivery")
    return 0


if __name__ == "__main__":
    sys.exit(main())
