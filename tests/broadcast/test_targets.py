"""``fastws.Broadcast`` delivering to real connections (its targets) on uvicorn over loopback.

fastws' protocol (frames written straight to each transport) and uvicorn's
default ``websockets-sansio`` (the ASGI fallback), with ``fastws.WebSocket``,
Starlette's ``WebSocket`` and a raw ASGI ``send``: fan-out, a thousand
subscribers, the same bytes on both paths, slow clients, deflate, and
subscribe/close cycles that leave nothing behind.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import importlib.util
import sys
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocket as StarletteWebSocket

import fastws
from fastws import metrics
from fastws.broadcast import (
    Broadcast,
    targets,
)
from fastws.protocol import State
from fastws.wire import codec
from tests.helpers.cores import opened
from tests.helpers.serving import TIMEOUT, run, serving

KEY = base64.b64encode(b"fastws-broadcast")


class RawClient:
    """A minimal WebSocket client on a socket: reads server frames as raw bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url: str, path: str = "/") -> RawClient:
        host, port = url.removeprefix("ws://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n".encode()
            + b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )  # fmt: skip
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101 "), head
        return cls(reader, writer)

    async def frame(self) -> bytes:
        """The next whole frame, header included (server frames are unmasked)."""
        head = await asyncio.wait_for(self.reader.readexactly(2), TIMEOUT)
        length = head[1] & 0x7F
        extra = b""
        if length == 126:
            extra = await self.reader.readexactly(2)
            length = int.from_bytes(extra, "big")
        elif length == 127:
            extra = await self.reader.readexactly(8)
            length = int.from_bytes(extra, "big")
        return head + extra + await asyncio.wait_for(self.reader.readexactly(length), TIMEOUT)

    async def text(self) -> str:
        frame = await self.frame()
        assert frame[0] == 0x81, frame[:4]
        return frame[2 + {126: 2, 127: 8}.get(frame[1] & 0x7F, 0) :].decode()

    def close(self) -> None:
        self.writer.close()


def room_app(hub: Broadcast, kind: str) -> Any:
    """Accept, subscribe to the path's room, say "ready", then read until the peer leaves."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        room = scope["path"].strip("/") or "room"
        if kind == "send":
            await receive()
            await send({"type": "websocket.accept"})
            await hub.subscribe(room, send)
            await send({"type": "websocket.send", "text": "ready"})
            while (await receive())["type"] != "websocket.disconnect":
                pass
            return
        if kind == "starlette-wrapped":  # a middleware's send: not the protocol's own, so the ASGI path

            async def wrapped(message: dict[str, Any]) -> None:
                await send(message)

            websocket: Any = StarletteWebSocket(scope, receive, wrapped)
        else:
            websocket = (fastws.WebSocket if kind == "fastws" else StarletteWebSocket)(scope, receive, send)
        await websocket.accept()
        await hub.subscribe(room, websocket)
        await websocket.send_text("ready")
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    return app


@asynccontextmanager
async def hub_and_server(kind: str, ws: str, **hub_options: Any) -> AsyncIterator[tuple[Broadcast, str]]:
    async with Broadcast(**hub_options) as hub, serving(room_app(hub, kind), ws=ws) as url:
        yield hub, url


SERVERS = {"fastws": "fastws.protocol:WebSocketProtocol", "sansio": "websockets-sansio"}


async def _until(condition: Any) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("kind", ["fastws", "starlette", "send"])
@pytest.mark.parametrize("server", list(SERVERS))
def test_every_client_gets_every_message_once_in_order(server: str, kind: str) -> None:
    async def main() -> None:
        async with hub_and_server(kind, SERVERS[server]) as (hub, url):
            before = codec.counts()
            clients = [await RawClient.connect(url, "/room") for _ in range(20)]
            other = await RawClient.connect(url, "/other")
            for client in [*clients, other]:
                assert await client.text() == "ready"
            for i in range(30):
                await hub.publish("room", f"m{i}")
            await hub.publish("other", "just for other")
            for client in clients:
                assert [await client.text() for _ in range(30)] == [f"m{i}" for i in range(30)]
            assert await other.text() == "just for other"
            if server == "fastws":  # fastws.metrics counts every delivery, by whichever path it went
                sent = codec.counts().text_sent - before.text_sent
                assert sent == 21 + 20 * 30 + 1
            for client in [*clients, other]:
                client.close()
            if kind == "send" and server == "sansio":
                # a bare ASGI send on another server: nothing tells the hub the peer left
                # until a delivery fails, which then takes it off every channel
                await _until(lambda: all(t.task is None for t in hub._targets.values()))
                await asyncio.sleep(0.2)
                await hub.publish("room", "after")
                await hub.publish("other", "after")
            await _until(lambda: hub.subscribers("room") == 0 and hub.subscribers("other") == 0)
            assert not hub._targets

    run(main())


def test_a_thousand_concurrent_subscribers_all_receive() -> None:
    async def main() -> None:
        async with hub_and_server("fastws", SERVERS["fastws"]) as (hub, url):
            clients = await asyncio.gather(*(RawClient.connect(url, "/big") for _ in range(1000)))
            for client in clients:
                assert await client.text() == "ready"
            assert hub.subscribers("big") == 1000
            await hub.publish_json("big", {"n": 1})
            await hub.publish("big", "two")
            for client in clients:
                assert [await client.text(), await client.text()] == ['{"n":1}', "two"]
                client.close()
            await _until(lambda: hub.subscribers("big") == 0)

    run(main())


def test_the_wire_path_and_the_asgi_path_put_the_same_bytes_on_the_wire() -> None:
    messages: list[Any] = ["é" * 200, b"\x00\x01" * 40_000, {"json": [1, "ü"]}, ""]

    async def frames(kind: str, ws: str) -> list[bytes]:
        async with hub_and_server(kind, ws) as (hub, url):
            client = await RawClient.connect(url, "/r")
            assert await client.text() == "ready"
            for message in messages:
                if isinstance(message, dict):
                    await hub.publish_json("r", message)
                    await hub.publish_json("r", message, mode="binary")
                else:
                    await hub.publish("r", message)
            got = [await client.frame() for _ in range(len(messages) + 1)]
            client.close()
            return got

    async def main() -> None:
        direct = await frames("fastws", SERVERS["fastws"])
        through_asgi = await frames("starlette-wrapped", SERVERS["fastws"])
        other_server = await frames("fastws", SERVERS["sansio"])
        assert direct == through_asgi == other_server
        payload = '{"json":[1,"ü"]}'.encode()  # as send_json encodes it: compact, not ASCII-escaped
        assert direct[2] == bytes((0x81, len(payload))) + payload

    run(main())


@pytest.mark.parametrize("endpoint", ["websocket_app", "starlette"])
def test_a_subscriber_in_a_starlette_app_gets_frames_written_straight_to_its_transport(endpoint: str) -> None:
    """Starlette's routing wraps ``send`` in its exception handling, which passes WebSocket messages on as they are.

    The hub sees through it: a member of a room in a Starlette app (a
    ``websocket_app`` endpoint with ``fastws.WebSocket``, or Starlette's own
    ``WebSocket``) is delivered to directly, as on a bare ASGI app.
    """
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    async def member(websocket: Any) -> None:
        await websocket.accept()
        async with hub.subscribe("room", websocket):
            await websocket.send_text("ready")
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass

    route = fastws.websocket_app(member) if endpoint == "websocket_app" else member
    app = Starlette(routes=[WebSocketRoute("/", route)])
    hub = Broadcast()

    async def main() -> None:
        async with hub, serving(app) as url:
            client = await RawClient.connect(url)
            assert await client.text() == "ready"
            assert [type(target).__name__ for target in hub._targets.values()] == ["DirectTarget"]
            await hub.publish("room", "to all")
            assert await client.text() == "to all"
            client.close()

    run(main())


@pytest.mark.parametrize("server", list(SERVERS))
def test_a_client_that_never_reads_is_closed_and_the_others_keep_receiving(server: str) -> None:
    async def main() -> None:
        async with hub_and_server("fastws", SERVERS[server], max_buffer=256 * 1024) as (hub, url):
            before = metrics.snapshot().limit_closes.get("slow_subscriber", 0)
            slow, fast = await RawClient.connect(url, "/feed"), await RawClient.connect(url, "/feed")
            assert await slow.text() == "ready" and await fast.text() == "ready"
            slow.writer.transport.pause_reading()  # type: ignore[attr-defined]
            chunk = "x" * 65536
            for i in range(200):  # 13 MB: far more than the socket buffers and max_buffer hold
                await hub.publish("feed", f"{i:04d}{chunk}")
                if i % 10 == 0:
                    assert all(t.queued <= hub.max_buffer for t in hub._targets.values())
                    await asyncio.sleep(0)
                got = await fast.text()
                assert got[:4] == f"{i:04d}"
            await _until(lambda: hub.closed_slow == 1 and hub.subscribers("feed") == 1)
            assert metrics.snapshot().limit_closes["slow_subscriber"] == before + 1
            slow.close()
            fast.close()

    run(main())


@pytest.mark.parametrize("server_no_context_takeover", [False, True])
def test_deflate_connections_get_correctly_compressed_frames(server_no_context_takeover: bool) -> None:
    from websockets.asyncio.client import connect
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    async def main() -> None:
        async with Broadcast() as hub:
            app = room_app(hub, "fastws")
            async with serving(app, ws_per_message_deflate=True) as url:
                factory = ClientPerMessageDeflateFactory(server_no_context_takeover=server_no_context_takeover)
                async with connect(url + "/z", extensions=[factory], compression=None) as a, \
                        connect(url + "/z", compression=None) as plain:  # fmt: skip
                    assert a.protocol.extensions and await a.recv() == "ready" and await plain.recv() == "ready"
                    texts = [f"tick {i} " * 50 for i in range(20)]
                    for text in texts:
                        await hub.publish("z", text)
                    await hub.publish("z", b"\x00" * 3000)
                    for client in (a, plain):
                        assert [await client.recv() for _ in texts] == texts
                        assert await client.recv() == b"\x00" * 3000

    run(main())


UPGRADE = (
    b"GET /leak HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.mark.parametrize("kind", ["fastws", "starlette", "starlette-wrapped"])  # the last: the ASGI path
def test_ten_thousand_subscribe_and_close_cycles_leave_nothing_behind(kind: str) -> None:
    import gc

    import uvicorn
    from uvicorn.server import ServerState

    from bench.inproc import FakeTransport
    from fastws.protocol import WebSocketProtocol

    async def main() -> None:
        async with Broadcast() as hub:
            subscribed = 0
            inner = room_app(hub, kind)

            async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
                nonlocal subscribed
                subscribed += 1
                await inner(scope, receive, send)

            config = uvicorn.Config(app, lifespan="off", ws_ping_interval=0, ws_per_message_deflate=False,
                                    log_level="warning")  # fmt: skip
            config.load()
            state = ServerState()
            for i in range(10_000):
                protocol = WebSocketProtocol(config=config, server_state=state, app_state={})
                protocol.connection_made(FakeTransport())  # bench.inproc's: keeps nothing
                protocol.data_received(UPGRADE)
                for _ in range(4):
                    await asyncio.sleep(0)  # the app accepts and subscribes
                if i % 1000 == 0:
                    assert hub.subscribers("leak") == 1
                protocol.data_received(b"\x88\x82\0\0\0\0\x03\xe8")  # the peer's Close
                protocol.connection_lost(None)
                for _ in range(4):
                    await asyncio.sleep(0)
            await _until(lambda: not state.tasks)
            assert subscribed == 10_000
            assert hub.subscribers("leak") == 0 and not hub._targets and not hub._channels
            del protocol
            gc.collect()
            assert not [o for o in gc.get_objects() if type(o) is WebSocketProtocol]  # none kept alive

    run(main())


def test_a_subscriber_that_keeps_up_holds_no_backlog() -> None:
    """The backlog exists while messages wait, and goes when they have gone out: ~620 bytes a subscriber."""
    from fastws.broadcast.message import Message
    from fastws.broadcast.targets import Delivery, QueueTarget

    delivery = Delivery(1 << 20, "drop-newest", 1.0, ended=lambda target: None, spawn=asyncio.ensure_future)

    async def main() -> tuple[int, int]:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            targets = [QueueTarget(delivery) for _ in range(200)]
            idle = (tracemalloc.get_traced_memory()[0] - before) // len(targets)
        finally:
            tracemalloc.stop()
        target = targets[0]
        target.deliver(Message.of("waits"))
        assert target.backlog and (await target.next()) is not None
        return idle, len(targets)

    per_target, _ = run(main())
    assert per_target < 512, per_target


class FakeConnection:
    """A connection on fastws' protocol, as ``DirectTarget`` sees it (``BroadcastConnection``), that keeps its frames.

    ``calls`` names each call of the methods ``DirectTarget.deliver`` makes (a fan-out's ready subscriber gets
    ``deliver_frame`` alone).
    """

    def __init__(self, paused: bool = False) -> None:
        self.conn = codec.Connection()
        self.fanout: Any = None
        self.paused = paused
        self.open = True
        self.frames: list[bytes] = []
        self.calls: list[str] = []
        self.closed_with: tuple[int, str] | None = None

    def deliver_frame(self, frame: bytes) -> bool:
        if self.paused or not self.open:
            return False
        self.frames.append(frame)
        return True

    def is_open(self) -> bool:
        self.calls.append("is_open")
        return self.open

    def is_connecting(self) -> bool:
        return False

    def writing_paused(self) -> bool:
        self.calls.append("writing_paused")
        return self.paused

    def write_frame(self, frame: bytes) -> None:
        self.calls.append("write_frame")
        self.frames.append(frame)

    def close_now(self, code: int, reason: str = "") -> None:
        self.closed_with = (code, reason)
        self.open = False


def test_a_fan_out_writes_one_shared_frame_with_no_call_per_ready_subscriber(targets_twin: ModuleType) -> None:
    """``deliver_all``: the subscribers whose transport takes the frame now get the one frame in one loop, counted
    once; one whose writing is paused gets the message in its backlog, in order, through ``deliver``."""
    from fastws.broadcast.message import Message

    delivery = targets_twin.Delivery(1 << 20, "close", 1.0, ended=lambda target: None, spawn=lambda awaitable: None)
    connections = [FakeConnection(paused=(i == 3)) for i in range(6)]
    subscribers = [targets_twin.DirectTarget(delivery, c) for c in connections]
    message = Message.of("to all")
    before = codec.counts()  # the live codec's: both twins count there (the compiled one at C level)
    targets_twin.deliver_all(subscribers, message)
    after = codec.counts()
    frames = [c.frames for c in connections]
    assert frames[0] == [message.frame()] and all(f[0] is frames[0][0] for i, f in enumerate(frames) if i != 3)
    assert frames[3] == [] and list(subscribers[3].backlog) == [message]
    assert [c.calls for c in connections] == [[], [], [], ["is_open", "writing_paused"], [], []]  # deliver: 3 only
    assert (after.text_sent - before.text_sent, after.text_bytes_sent - before.text_bytes_sent) == (5, 5 * 6)


def test_a_subscriber_on_fastws_protocol_is_written_to_through_its_core(targets_twin: ModuleType) -> None:
    """A ``DirectTarget`` keeps its connection as ``core`` when it is the live ``ProtocolCore`` (the compiled
    fan-out then calls ``deliver_frame_to`` at C level); any other connection is called through Python."""
    from fastws import _protocol_core
    from fastws.broadcast.message import Message

    loop = asyncio.new_event_loop()
    try:
        core = opened(_protocol_core, loop)
        fake = FakeConnection()
        delivery = targets_twin.Delivery(1 << 20, "close", 1.0, ended=lambda target: None, spawn=lambda a: None)
        on_core, on_fake = targets_twin.DirectTarget(delivery, core), targets_twin.DirectTarget(delivery, fake)
        assert on_core.core is core and on_fake.core is None
        message = Message.of("to both")
        targets_twin.deliver_all([on_core, on_fake], message)
        assert core.transport.written == [message.frame()] and fake.frames == [message.frame()]
        core.state = State.CLOSING  # the core's own rule: nothing more goes out, the target takes it from there
        targets_twin.deliver_all([on_core], message)
        assert core.transport.written == [message.frame()]
    finally:
        loop.close()


# --------------------------------------------------- a connection's own ASGI send

WSPROTO = pytest.param(
    "wsproto", marks=pytest.mark.skipif(importlib.util.find_spec("wsproto") is None, reason="wsproto not installed")
)
WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who")


def asgi_target(twin: ModuleType, send: Any, ended: Any = lambda target: None) -> Any:
    """An ``AsgiTarget`` of ``twin`` on ``send`` (not uvicorn's own), its hub's ``ended`` callback given."""
    delivery = twin.Delivery(1 << 20, "close", 1.0, ended=ended, spawn=asyncio.ensure_future)
    return twin.AsgiTarget(delivery, send, lambda code, reason: asyncio.sleep(0))


def test_an_asgi_send_runs_in_a_task_of_the_subscribers_own(targets_twin: ModuleType) -> None:
    """Each send of an ``AsgiTarget`` runs in a task of the target's own, in the context the subscriber had: a send
    wrapper's ``asyncio.timeout`` that expires ends that send (the target closes), never the publisher's task."""
    from fastws.broadcast.message import Message

    seen: list[tuple[bool, str]] = []

    async def main() -> str:
        closed = asyncio.Event()
        never = asyncio.Event()

        async def send(message: dict[str, Any]) -> None:  # a middleware's send with a write deadline
            seen.append((asyncio.current_task() is publisher, WHO.get("none")))
            if message["text"] == "waits":
                async with asyncio.timeout(0.05):
                    await never.wait()

        async def subscribe() -> Any:
            WHO.set("subscriber")
            return asgi_target(targets_twin, send, ended=lambda target: closed.set())

        target = await asyncio.create_task(subscribe())

        async def publish() -> str:
            WHO.set("publisher")
            target.deliver(Message.of("at once"))
            await asyncio.sleep(0)
            target.deliver(Message.of("waits"))
            try:
                await asyncio.wait_for(closed.wait(), TIMEOUT)  # the publisher's own work goes on meanwhile
            except asyncio.CancelledError:
                return "cancelled"
            return "finished"

        publisher = asyncio.create_task(publish())
        return await publisher

    assert run(main()) == "finished"  # and the timed-out send closed the target
    assert seen == [(False, "subscriber"), (False, "subscriber")]


def test_a_send_that_publishes_to_its_own_subscriber_is_followed_in_order(targets_twin: ModuleType) -> None:
    """What a send delivers to its own target while it runs (eagerly started on 3.12+) waits behind it: sent next,
    in the same task, not by a second one at once."""
    from fastws.broadcast.message import Message

    sent: list[str] = []

    async def main() -> bool:
        async def send(message: dict[str, Any]) -> None:
            sent.append(message["text"])
            if message["text"] == "one":
                target.deliver(Message.of("from the send"))
                sent.append("its send returned")

        target = asgi_target(targets_twin, send)
        target.deliver(Message.of("one"))
        await asyncio.wait_for(target.handed_over(), TIMEOUT)
        return target.gone

    loop = asyncio.new_event_loop()  # not asyncio.run: it would wait for ever on a task that failed to start eagerly
    try:
        gone = loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT))
    finally:
        loop.close()
    assert gone is False
    assert sent == ["one", "its send returned", "from the send"]


def test_a_send_not_started_before_the_subscriber_left_is_not_made(targets_twin: ModuleType) -> None:
    """A task not started eagerly (before 3.12) runs at the loop's next turn: if the subscriber has left by then
    (unsubscribed, closed), its message is not sent; and a task cancelled before it started is not waited on."""
    from fastws.broadcast.message import Message

    sent: list[str] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["text"])

    async def main() -> None:
        left = asgi_target(targets_twin, send)
        left.deliver(Message.of("to one that left"))
        left.close()
        cancelled = asgi_target(targets_twin, send)
        cancelled.deliver(Message.of("to one whose task was cancelled"))
        if cancelled.task is not None:
            cancelled.task.cancel()
        await asyncio.sleep(0)
        await asyncio.wait_for(left.handed_over(), TIMEOUT)
        await asyncio.wait_for(cancelled.handed_over(), TIMEOUT)

    run(main())
    eager = sys.version_info >= (3, 12)
    assert sent == (["to one that left", "to one whose task was cancelled"] if eager else [])


def test_an_asgi_send_that_need_not_wait_is_done_when_delivered_on_312(targets_twin: ModuleType) -> None:
    """Python 3.12+ starts the send's task eagerly: a send that completes without waiting has completed when
    ``deliver`` returns, and the target holds no task; earlier Pythons run it at the loop's next turn."""
    from fastws.broadcast.message import Message

    sent: list[str] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["text"])

    async def main() -> tuple[list[str], bool, list[str]]:
        target = asgi_target(targets_twin, send)
        target.deliver(Message.of("one"))
        target.deliver(Message.of("two"))  # behind "one", if its task has not run yet
        at_once, holds_task = list(sent), target.task is not None
        await target.handed_over()
        return at_once, holds_task, sent

    at_once, holds_task, sent_in_the_end = run(main())
    assert sent_in_the_end == ["one", "two"]
    if sys.version_info >= (3, 12):
        assert (at_once, holds_task) == (["one", "two"], False)
    else:
        assert (at_once, holds_task) == ([], True)


@pytest.mark.parametrize("ws", ["websockets-sansio", WSPROTO])  # (the legacy one fails with the websockets here)
def test_uvicorns_own_send_starts_in_the_publishers_task_any_other_in_its_own(ws: str) -> None:
    """On uvicorn's own WebSocket protocols, the hub sees uvicorn's ``send`` behind a Starlette app's ``WebSocket``
    (through Starlette's exception wrappers): it starts in the publisher's task, no task made while the transport
    takes the bytes. Behind an app's own ``send`` wrapper, or a ``WebSocket`` subclass's own ``send``, each send runs
    in a task of the connection's own."""
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    tasks: list[asyncio.Task[Any] | None] = []

    class Recorded(StarletteWebSocket):  # an app's own WebSocket class, whose send does more than send
        async def send(self, message: Any) -> None:
            tasks.append(asyncio.current_task())
            await super().send(message)

    async def member(websocket: Any) -> None:
        if websocket.url.path == "/wrapped":  # an app's own middleware around send
            inner = websocket._send

            async def wrapped(message: dict[str, Any]) -> None:
                tasks.append(asyncio.current_task())
                await inner(message)

            websocket = StarletteWebSocket(websocket.scope, websocket.receive, wrapped)
        elif websocket.url.path == "/subclass":
            websocket = Recorded(websocket.scope, websocket.receive, websocket._send)
        await websocket.accept()
        async with hub.subscribe(websocket.url.path, websocket):
            await websocket.send_text("ready")
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass

    paths = ("/plain", "/wrapped", "/subclass")
    app = Starlette(routes=[WebSocketRoute(path, member) for path in paths])
    hub = Broadcast()

    async def main() -> None:
        async with hub, serving(app, ws=ws) as url:
            clients = [await RawClient.connect(url, path) for path in paths]
            assert [await client.text() for client in clients] == ["ready"] * 3
            by_channel = {next(iter(t.channels)): t for t in hub._targets.values()}
            assert [by_channel[path].context is None for path in paths] == [True, False, False]
            tasks.clear()
            for path in paths:
                await hub.publish(path, f"to {path}")
            assert [await client.text() for client in clients] == [f"to {path}" for path in paths]
            assert len(tasks) == 2 and asyncio.current_task() not in tasks
            for client in clients:
                client.close()

    run(main())


# --------------------------------------------------- the twins, side by side

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.binary(max_size=40), st.booleans()),
        st.tuples(st.just("pause"), st.integers(0, 1), st.booleans()),
        st.tuples(st.just("writable"), st.integers(0, 1), st.just(False)),
        st.tuples(st.just("lost"), st.integers(0, 2), st.just(False)),
    ),
    max_size=40,
)


def _delivered(twin: ModuleType, policy: str, steps: list[tuple[str, Any, bool]]) -> list[Any]:
    """What four subscribers of ``twin``'s targets end with after ``steps``: frames, backlogs, counts, how each ended."""
    from fastws.broadcast.message import Message

    ended: list[int] = []
    delivery = twin.Delivery(64, policy, 1.0, ended=lambda target: ended.append(target.key), spawn=lambda a: None)
    connections = [FakeConnection() for _ in range(4)]
    subscribers = [twin.DirectTarget(delivery, c) for c in connections]
    keys = {target.key: i for i, target in enumerate(subscribers)}
    for step, value, flag in steps:
        if step == "publish":
            text = value.hex()  # a text message: its payload is the text's UTF-8
            twin.deliver_all(subscribers, Message(value, True) if flag else Message(text.encode(), False, text))
        elif step == "pause":  # the transport paused or resumed writing; the protocol tells the target (writable) apart
            connections[value].paused = flag
        elif step == "writable":
            subscribers[value].writable()
        else:
            connections[value].open = False
            subscribers[value].lost()
    return [
        [c.frames for c in connections],
        [[m.payload for m in t.backlog] for t in subscribers],
        [(t.queued, t.dropped, t.gone) for t in subscribers],
        [c.closed_with for c in connections],
        (delivery.dropped, delivery.closed_slow),
        sorted(keys[key] for key in ended),
    ]


@pytest.mark.compiled
@settings(max_examples=300, deadline=None)
@given(policy=st.sampled_from(["close", "drop-newest", "drop-oldest"]), steps=STEPS)
def test_the_twins_deliver_alike(policy: str, steps: list[tuple[str, Any, bool]]) -> None:
    """The compiled and the pure targets: the same frames, backlogs, drops and ends for any run of publishes,
    pauses, resumes (the transport's, and the target told of it), and lost connections, under each overflow
    policy."""
    if targets.COMPILED is None:
        pytest.skip("compiled twin not live")
    assert _delivered(targets.COMPILED, policy, steps) == _delivered(targets.PURE, policy, steps)
