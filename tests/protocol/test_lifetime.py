"""A closed connection is freed at once, not by the cyclic garbage collector.

A connection holds its queued messages, codec buffers and transport; a
reference cycle through it (the scope pointing back at the protocol, a
timer, a subscriber) would keep all of that until a full collection, which
a quiet server rarely runs. Each test here turns the cyclic collector off,
drives one way a connection can end on a real uvicorn over loopback, and
requires every protocol object it made to be gone once the connection and
its app have ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import fastws
import fastws.fastapi
from fastws import _protocol_core
from fastws.broadcast import History
from fastws.http import HttpProtocol
from fastws.protocol import WebSocketProtocol
from tests.helpers.serving import TIMEOUT, echo, raw_upgrade, run, serving


class Tracked(WebSocketProtocol):
    """The protocol, remembered by weak reference only."""

    refs: list[weakref.ref[WebSocketProtocol]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Tracked.refs.append(weakref.ref(self))


@pytest.fixture(autouse=True)
def _no_cyclic_gc() -> Iterator[None]:
    Tracked.refs = []
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def all_freed() -> int:
    """Wait (bounded) for every tracked protocol to be freed; return how many were made."""
    async with asyncio.timeout(TIMEOUT):
        while any(ref() is not None for ref in Tracked.refs):
            await asyncio.sleep(0.02)
    return len(Tracked.refs)


FRONTS = [pytest.param({}, id="httptools"), pytest.param({"http": HttpProtocol}, id="fastws.http")]


async def fastws_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``fastws.WebSocket`` on its direct path (the scope extension), echoing text."""
    websocket = fastws.WebSocket(scope, receive, send)
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


async def close_at_once(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 4000, "reason": "bye"})


async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.close"})


async def deny(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.http.response.start", "status": 401, "headers": []})
    await send({"type": "websocket.http.response.body", "body": b"no"})


async def peer_closes(url: str) -> None:
    async with connect(url, compression=None) as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"


async def server_closes(url: str) -> None:
    async with connect(url, compression=None) as ws:
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4000


async def protocol_error(url: str) -> None:
    reader, writer, head = await raw_upgrade(url)
    assert head.startswith(b"HTTP/1.1 101 ")
    writer.write(b"\x81\x05hello")  # unmasked: 1002
    assert await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()


async def reset_with_messages_queued(url: str) -> None:
    """Big messages the app has not read yet, then a TCP reset."""
    _reader, writer, head = await raw_upgrade(url)
    assert head.startswith(b"HTTP/1.1 101 ")
    payload = b"\0" * 1_000_000
    for _ in range(4):
        writer.write(b"\x82\xff" + len(payload).to_bytes(8, "big") + b"\0\0\0\0" + payload)
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.transport.abort()


async def refused(url: str) -> None:
    with pytest.raises(InvalidStatus):
        async with connect(url, compression=None):
            pass


async def bad_version(url: str) -> None:
    _reader, writer, head = await raw_upgrade(url, version=b"8")
    assert head.startswith(b"HTTP/1.1 426 ")
    writer.close()


async def never_reads(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await asyncio.sleep(TIMEOUT)


PATHS: list[Any] = [
    pytest.param(echo, peer_closes, id="peer-close"),
    pytest.param(fastws_echo, peer_closes, id="peer-close-direct-path"),
    pytest.param(close_at_once, server_closes, id="server-close"),
    pytest.param(echo, protocol_error, id="failure"),
    pytest.param(never_reads, reset_with_messages_queued, id="reset"),
    pytest.param(refuse, refused, id="denial-403"),
    pytest.param(deny, refused, id="denial-response"),
    pytest.param(echo, bad_version, id="bad-handshake"),
]


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize(("app", "client"), PATHS)
def test_a_closed_connection_is_freed_without_the_cyclic_gc(
    front: dict[str, Any], app: Any, client: Callable[[str], Awaitable[None]]
) -> None:
    async def main() -> int:
        async with serving(app, ws=Tracked, **front) as url:
            for _ in range(3):
                await client(url)
            return await all_freed()

    assert run(main()) == 3


@pytest.mark.parametrize("front", FRONTS)
def test_connections_open_at_shutdown_are_freed(front: dict[str, Any]) -> None:
    async def main() -> int:
        clients = []
        async with serving(fastws_echo, ws=Tracked, **front) as url:
            for _ in range(3):
                ws = await connect(url, compression=None)
                await ws.send("x")
                assert await ws.recv() == "x"
                clients.append(ws)
        for ws in clients:
            await ws.close()
        return await all_freed()

    assert run(main()) == 3


@pytest.mark.parametrize("history", [None, History(100)], ids=["live", "resumed"])
def test_a_broadcast_subscriber_is_freed(history: History | None) -> None:
    """Live, or resumed from history (from the first message on: the third one replays the second's)."""
    positions: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = fastws.WebSocket(scope, receive, send)
        await websocket.accept()
        async with hub.subscribe("room", websocket, since=positions[0] if positions else None):
            async for text in websocket.iter_text():
                positions.append(await hub.publish("room", text))

    hub = fastws.Broadcast("memory://", history=history)

    async def main() -> int:
        async with hub, serving(app, ws=Tracked) as url:
            for _ in range(3):
                await peer_closes(url)
            return await all_freed()

    assert run(main()) == 3


def test_a_fastapi_endpoints_websocket_is_freed() -> None:
    """``fastws.fastapi.WebSocket``: the endpoint's ``fastws.WebSocket`` and the protocol go at close."""
    from fastapi import FastAPI

    sessions: list[weakref.ref[fastws.WebSocket]] = []
    app = FastAPI()

    @app.websocket("/")
    async def endpoint(websocket: fastws.fastapi.WebSocket) -> None:
        sessions.append(weakref.ref(websocket))
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

    async def main() -> int:
        async with serving(app, ws=Tracked) as url:
            for _ in range(3):
                await peer_closes(url)
            made = await all_freed()
            async with asyncio.timeout(TIMEOUT):
                while any(ref() is not None for ref in sessions):
                    await asyncio.sleep(0.02)
            return made

    assert run(main()) == 3 and len(sessions) == 3


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_soak_connect_send_drop_cycles_leave_rss_flat() -> None:
    """Connect, send big messages the app never reads, reset; many times: memory must not grow.

    ``FASTWS_SOAK_CYCLES`` sets the count (CI: 150; by hand, e.g. 5000). The cyclic
    collector runs here, as on a server: the client's own streams make cycles.
    """
    gc.enable()
    cycles = int(os.environ.get("FASTWS_SOAK_CYCLES", "150"))
    payload = b"\0" * 1_000_000
    message = b"\x82\xff" + len(payload).to_bytes(8, "big") + b"\0\0\0\0" + payload

    async def send_and_drop(url: str) -> None:
        _reader, writer, _head = await raw_upgrade(url)
        writer.write(message * 4)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(writer.drain(), 0.05)  # the server stops reading after one
        writer.transport.abort()

    async def slow_reader(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            await asyncio.sleep(0.01)

    async def main() -> list[int]:
        samples = []
        async with serving(slow_reader, ws=Tracked, http=HttpProtocol, ws_max_size=2 << 20) as url:
            for k in range(cycles):
                await send_and_drop(url)
                if k % max(1, cycles // 5) == 0:
                    await all_freed()
                    gc.collect()
                    samples.append(rss_bytes())
            await all_freed()
            gc.collect()
            samples.append(rss_bytes())
        return samples

    samples = asyncio.run(asyncio.wait_for(main(), 30 + cycles * 0.2))
    print(f"soak: {cycles} cycles, RSS MiB at each fifth: {[sample >> 20 for sample in samples]}")  # for -s
    grown = samples[-1] - samples[1]  # after the first round: the allocator's pools are warm
    assert grown < 48 << 20, [s >> 20 for s in samples]  # each cycle offers 4 MiB


def test_a_servers_keepalive_wheel_goes_with_the_server() -> None:
    """One loop timer serves a server's keepalive pings: it, and its loop, go with the server (not kept for ever)."""
    wheels: list[weakref.ref[Any]] = []
    loops: list[weakref.ref[Any]] = []

    async def main() -> None:
        async with serving(echo, ws=Tracked, ws_ping_interval=20) as url:
            async with connect(url, compression=None) as ws:
                await ws.send("hello")
                assert await ws.recv() == "hello"
                protocol = next(ref() for ref in Tracked.refs if ref() is not None)
                wheels.append(weakref.ref(protocol.share.keepalive))
                loops.append(weakref.ref(asyncio.get_running_loop()))
                del protocol
        assert await all_freed()

    run(main())
    gc.collect()  # uvicorn's server state, by which the wheel is kept, is freed by the cyclic GC
    assert wheels[0]() is None and loops[0]() is None


def test_a_closed_deflate_connection_is_freed_and_leaves_no_idle_check() -> None:
    """Its zlib objects kept (a burst of messages), then closed: freed at once, nothing left in the deflate wheel."""

    async def main() -> tuple[int, int]:
        async with serving(echo, ws=Tracked, ws_per_message_deflate=True, ws_ping_interval=None) as url:
            async with connect(url, compression="deflate") as ws:
                for n in range(3):
                    await ws.send(f"tick {n} " * 30)
                    assert await ws.recv() == f"tick {n} " * 30
            freed = await all_freed()
            live = _protocol_core.COMPILED or _protocol_core.PURE  # the module whose connections use the wheels
            waiting = sum(len(wheel) for wheel in live._deflate_wheels.values())
            return freed, waiting

    assert run(main()) == (1, 0)
