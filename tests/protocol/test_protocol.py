"""``fastws.protocol.WebSocketProtocol`` on a real uvicorn, over loopback.

Each test starts uvicorn on 127.0.0.1 (a free port) inside its own event
loop, talks to it with independent clients (``websockets``, ``aiohttp``, or
raw bytes on a socket), and stops it; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import gc
import os
import pickle
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import uvicorn
import uvloop
from uvicorn.protocols.utils import ClientDisconnected, get_local_addr, get_remote_addr
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from fastws import _protocol_core, protocol
from fastws.protocol import State
from tests.helpers.frames import client_frame
from tests.helpers.serving import TIMEOUT, Recorded, echo, raw_upgrade, run, serving
from tests.helpers.tcp import segments_in

#: the module of the protocol's body now live (compiled or pure), whose helpers some tests call
LIVE_CORE = _protocol_core.COMPILED or _protocol_core.PURE
CORE_SOURCE = os.path.join("fastws", "_protocol_core_py.py")
T = TypeVar("T")

# ------------------------------------------------------------------ echo


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 1 << 20])
def test_echo_with_the_websockets_client(size: int) -> None:
    async def main() -> None:
        async with serving(echo) as url, connect(url + "/chat?room=1", max_size=None, compression=None) as ws:
            text = ("é" * size)[:size]
            await ws.send(text)
            assert await ws.recv() == text
            await ws.send(os.urandom(size) if size else b"")
            blob = await ws.recv()
            assert isinstance(blob, bytes) and len(blob) == size
            await ws.send(["frag", "ment", "é"])  # one message in three frames
            assert await ws.recv() == "fragmenté"
            await asyncio.wait_for(await ws.ping(b"hi"), TIMEOUT)

    run(main())


def test_echo_with_the_aiohttp_client() -> None:
    aiohttp = pytest.importorskip("aiohttp")

    async def main() -> None:
        async with serving(echo) as url, aiohttp.ClientSession() as session:
            async with session.ws_connect(url + "/", protocols=("a", "b"), max_msg_size=0) as ws:
                assert ws.protocol == "b"
                for size in (1, 200, 70_000):
                    await ws.send_str("x" * size)
                    assert (await ws.receive(timeout=TIMEOUT)).data == "x" * size
                    await ws.send_bytes(b"\x01" * size)
                    assert (await ws.receive(timeout=TIMEOUT)).data == b"\x01" * size
                await ws.close(code=4002, message=b"done")
            assert ws.close_code == 4002

    run(main())


def test_the_scope_is_smaller_than_a_dict_of_its_own() -> None:
    """Every connection holds its scope while it lives: its keys are one table shared by every scope
    (a copy of an instance's ``__dict__``), so the scope is smaller than the same items in a dict."""
    sizes: list[int] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        sizes.extend((sys.getsizeof(scope), sys.getsizeof(dict(scope.items()))))  # the same, made pair by pair
        await echo(scope, receive, send)

    async def main() -> None:
        async with serving(app) as url, connect(url, compression=None) as ws:
            await ws.send("x")
            assert await ws.recv() == "x"

    run(main())
    assert sizes[0] < sizes[1]


def test_connections_share_what_is_the_same_for_each() -> None:
    """What is the same for every connection is one object, not one each: the scope's ``asgi`` item,
    its ``extensions`` (read-only: a change would reach every connection; a copy is a plain dict),
    the task's name, the name of a header line that is not shared."""
    seen: list[tuple[Any, Any, str, bytes]] = []
    refused: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        extensions = scope["extensions"]
        key_name = next(name for name, _ in scope["headers"] if name == b"sec-websocket-key")
        task = asyncio.current_task()
        assert task is not None
        seen.append((scope["asgi"], extensions, task.get_name(), key_name))
        for change in (
            lambda: extensions.update(x=1),
            lambda: extensions["websocket.http.response"].__setitem__("status", 200),
            lambda: extensions.pop("websocket.http.response"),
        ):
            with pytest.raises(TypeError, match="shared by every connection") as caught:
                change()
            refused.append(str(caught.value))
        for copied in (copy.copy(extensions), copy.deepcopy(extensions), pickle.loads(pickle.dumps(extensions))):
            assert type(copied) is dict and copied == extensions
            copied["mine"] = 1  # a copy is the app's own
        await echo(scope, receive, send)

    async def main() -> None:
        async with serving(app) as url:
            for _ in range(2):
                async with connect(url, compression=None) as ws:
                    await ws.send("x")
                    assert await ws.recv() == "x"

    run(main())
    (asgi, extensions, name, key_name), (asgi2, extensions2, name2, key_name2) = seen
    assert asgi == {"version": "3.0", "spec_version": "2.4"} and asgi2 is asgi
    assert extensions["websocket.http.response"] == {} and extensions2 is extensions and len(refused) == 6
    assert "mine" not in extensions and "x" not in extensions
    assert name == _protocol_core.TASK_NAME and name2 is name
    assert key_name == b"sec-websocket-key" and key_name2 is key_name


def test_scope_subprotocols_and_accept_headers() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope)
        await echo(scope, receive, send)

    async def main() -> None:
        async with serving(app, root_path="/api") as url:
            async with connect(url + "/r%C3%A9/x?q=a%20b&q=2", subprotocols=["chat", "Super.Chat-2"]) as ws:  # type: ignore[list-item]
                assert ws.subprotocol == "Super.Chat-2"
                assert ws.response is not None and ws.response.headers["x-echo"] == "yes"
                assert ws.response.headers["server"] == "uvicorn"

    run(main())
    assert seen["path"] == "/api/ré/x" and seen["raw_path"] == b"/api/r%C3%A9/x"
    assert seen["query_string"] == b"q=a%20b&q=2" and seen["subprotocols"] == ["chat", "Super.Chat-2"]
    assert seen["scheme"] == "ws" and seen["server"][0] == "127.0.0.1" and seen["client"][0] == "127.0.0.1"
    assert (b"host", seen["headers"][0][1]) in seen["headers"] and seen["asgi"]["spec_version"] == "2.4"
    assert "websocket.http.response" in seen["extensions"]


@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"])
@pytest.mark.parametrize("family", ["ipv4", "ipv6", "unix"])
def test_the_scope_addresses_are_what_uvicorn_gives(loop_factory: Any, family: str, tmp_path: Any) -> None:
    """``server`` and ``client`` as uvicorn's ``get_local_addr``/``get_remote_addr`` make them, read without
    the socket object uvloop would keep; the server's tuple is one for all its connections."""
    if family == "ipv6" and not socket.has_ipv6:
        pytest.skip("no IPv6")

    async def main() -> list[tuple[Any, ...]]:
        loop = asyncio.get_running_loop()
        made: list[asyncio.Transport] = []

        class Keep(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                made.append(transport)  # type: ignore[arg-type]

        if family == "unix":
            path = str(tmp_path / "s")
            server = await loop.create_unix_server(Keep, path)
            clients = [await loop.create_unix_connection(asyncio.Protocol, path) for _ in range(2)]
        else:
            host = "127.0.0.1" if family == "ipv4" else "::1"
            try:
                server = await loop.create_server(Keep, host, 0)
            except OSError:
                pytest.skip(f"cannot listen on {host}")
            port = server.sockets[0].getsockname()[1]
            clients = [await loop.create_connection(asyncio.Protocol, host, port) for _ in range(2)]
        async with asyncio.timeout(TIMEOUT):
            while len(made) < 2:
                await asyncio.sleep(0.01)
        ours = [LIVE_CORE._addresses(transport) for transport in made]
        theirs = [(get_local_addr(transport), get_remote_addr(transport)) for transport in made]
        assert ours[0][0] is ours[1][0] or ours[0][0] is None  # the server's address, once
        assert ours[0][1] is None or ours[0][1][0] is ours[1][1][0]  # a client host's string, once
        for transport in [*made, *(client for client, _ in clients)]:
            transport.close()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)  # the closes complete
        return [*ours, *theirs]

    loop = loop_factory()
    try:
        first, second, *uvicorns = loop.run_until_complete(main())
    finally:
        loop.close()
    assert [first, second] == uvicorns


# --------------------------------------------------------- closing codes


def test_the_app_closes_with_code_and_reason() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4001, "reason": "bye ✓"})
        assert (await receive()) == {"type": "websocket.disconnect", "code": 4001, "reason": "bye ✓"}
        with pytest.raises(RuntimeError, match=r"after sending 'websocket\.close'"):
            await send({"type": "websocket.send", "text": "late"})

    async def main() -> None:
        async with serving(app) as url, connect(url) as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4001 and ws.close_reason == "bye ✓"

    run(main())


def test_the_peer_closes_and_send_then_raises_client_disconnected() -> None:
    got: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        got.append(await receive())
        with pytest.raises(ClientDisconnected):
            await send({"type": "websocket.send", "text": "too late"})
        got.append("raised")
        await send({"type": "websocket.close"})  # ignored, as on uvicorn's own layers

    async def main() -> None:
        async with serving(app) as url:
            async with connect(url) as ws:
                await ws.close(4003, "client leaves")
            await asyncio.sleep(0.2)

    run(main())
    assert got == [{"type": "websocket.disconnect", "code": 4003, "reason": "client leaves"}, "raised"]
    assert issubclass(ClientDisconnected, OSError)


def test_close_before_accept_is_403_and_an_error_is_500() -> None:
    async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        if scope["path"] == "/boom":
            raise ValueError("app bug")
        await send({"type": "websocket.close"})

    async def main() -> None:
        async with serving(refuse) as url:
            for path, status in (("/", 403), ("/boom", 500)):
                with pytest.raises(InvalidStatus) as caught:
                    async with connect(url + path):
                        pass
                assert caught.value.response.status_code == status

    run(main())


class _AppEnded(BaseException):
    """Neither an ``Exception`` nor one asyncio treats apart."""


@pytest.mark.parametrize("error", [ValueError, SystemExit, KeyboardInterrupt, _AppEnded])
def test_whatever_an_app_raises_is_logged_a_500_and_the_server_serves_on(
    error: type[BaseException], capfd: pytest.CaptureFixture[str]
) -> None:
    """uvicorn's ``run_asgi`` catches ``BaseException``: even ``SystemExit`` from an app ends its connection only."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/boom":
            raise error("app bug")
        await echo(scope, receive, send)

    async def main() -> None:
        async with serving(app) as url:
            with pytest.raises(InvalidStatus) as caught:
                async with connect(url + "/boom"):
                    pass
            assert caught.value.response.status_code == 500
            async with connect(url, compression=None) as ws:
                await ws.send("still serving")
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "still serving"

    run(main())
    err = capfd.readouterr().err
    assert "Exception in ASGI application" in err and f"{error.__name__}: app bug" in err


def test_an_app_cancelled_in_receive_is_logged_and_its_connection_closed(capfd: pytest.CaptureFixture[str]) -> None:
    tasks: list[asyncio.Task[Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        tasks.append(asyncio.current_task())  # type: ignore[arg-type]
        await receive()

    async def main() -> tuple[bool, bool]:
        async with serving(app) as url, connect(url, compression=None) as ws:
            while not tasks:
                await asyncio.sleep(0.01)
            tasks[0].cancel()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            await asyncio.sleep(0.05)
            return tasks[0].done(), tasks[0].cancelled()

    assert run(main()) == (True, False)  # the task's coroutine ended it, as uvicorn's run_asgi does
    assert "CancelledError" in capfd.readouterr().err


def test_an_app_may_return_any_awaitable_and_a_non_awaitable_is_a_500(capfd: pytest.CaptureFixture[str]) -> None:
    """uvicorn awaits what the app's call returns: a coroutine, or any awaitable."""

    class Awaitable:
        def __init__(self, *asgi: Any) -> None:
            self.asgi = asgi

        def __await__(self) -> Any:
            return echo(*self.asgi).__await__()

    def app(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["path"] == "/none":
            return None
        if scope["path"] == "/raises":
            raise ValueError("raised by the call")
        return Awaitable(scope, receive, send)

    async def main() -> None:
        async with serving(app, interface="asgi3") as url:  # a plain function: uvicorn would guess ASGI 2
            async with connect(url, compression=None) as ws:
                await ws.send("awaited")
                assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "awaited"
            for path in ("/none", "/raises"):
                with pytest.raises(InvalidStatus) as caught:
                    async with connect(url + path):
                        pass
                assert caught.value.response.status_code == 500

    run(main())
    err = capfd.readouterr().err
    assert "TypeError" in err and "ValueError: raised by the call" in err


def test_an_app_that_returns_before_accepting_is_a_500(capfd: pytest.CaptureFixture[str]) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()

    async def main() -> None:
        async with serving(app) as url:
            with pytest.raises(InvalidStatus) as caught:
                async with connect(url):
                    pass
            assert caught.value.response.status_code == 500

    run(main())
    assert "ASGI callable returned without completing handshake." in capfd.readouterr().err


def test_denial_response_with_streamed_body() -> None:
    async def deny(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"x-why", b"token")]})
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"entry"})

    async def main() -> None:
        async with serving(deny) as url:
            with pytest.raises(InvalidStatus) as caught:
                async with connect(url):
                    pass
            response = caught.value.response
            assert response.status_code == 401 and response.body == b"no entry"
            assert response.headers["x-why"] == "token" and response.headers["content-length"] == "8"

    run(main())


# ------------------------------------------------------------ bad input


def test_access_log_lines_at_info_and_none_above(capfd: pytest.CaptureFixture[str]) -> None:
    async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.close"})

    async def main(level: str) -> None:
        async with serving(echo, log_level=level) as url, connect(url + "/room?a=1", compression=None) as ws:
            await ws.send("x")
            await ws.recv()
        async with serving(refuse, log_level=level) as url:
            with pytest.raises(InvalidStatus):
                async with connect(url + "/no", compression=None):
                    pass

    run(main("info"))  # uvicorn's log config writes to stderr
    lines = [line for line in capfd.readouterr().err.splitlines() if "WebSocket /" in line]
    assert [line.split(" - ", 1)[1] for line in lines] == ['"WebSocket /room?a=1" [accepted]', '"WebSocket /no" 403']
    run(main("warning"))
    assert "WebSocket /" not in capfd.readouterr().err


def test_bad_handshakes_get_http_errors() -> None:
    async def main() -> None:
        async with serving(echo) as url:
            _reader, writer, head = await raw_upgrade(url, version=b"8")
            assert head.startswith(b"HTTP/1.1 426 ") and b"Sec-WebSocket-Version: 13" in head
            writer.close()
            _reader, writer, head = await raw_upgrade(url, extra=b"Sec-WebSocket-Key: second\r\n")
            assert head.startswith(b"HTTP/1.1 400 ")
            writer.close()

    run(main())


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x81\x05hello", 1002),  # unmasked
        (b"\x91\x80abcd", 1002),  # RSV1 without an extension
        (b"\x81\x82\0\0\0\0\xc3\x28", 1007),  # invalid UTF-8
        (b"\x82\xfe\x10\x00\0\0\0\0", 1009),  # 4096 bytes over a 1000-byte limit
    ],
)
def test_protocol_errors_close_with_their_code(frame: bytes, code: int) -> None:
    async def main() -> None:
        async with serving(echo, ws_max_size=1000) as url:
            reader, writer, head = await raw_upgrade(url)
            assert head.startswith(b"HTTP/1.1 101 ")
            writer.write(frame)
            reply = await asyncio.wait_for(reader.read(200), TIMEOUT)
            assert reply[0] == 0x88 and struct.unpack("!H", reply[2:4])[0] == code
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # then TCP closes
            writer.close()

    run(main())


# ------------------------------------------------------- flow control


def test_a_reader_that_never_reads_makes_send_wait() -> None:
    progress: dict[str, int] = {"sent": 0, "buffered": 0}
    chunk = b"z" * 65536

    async def flood_out(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        transport = _live_protocols()[0].transport
        for _ in range(2000):  # 128 MiB if nothing pushed back
            await send({"type": "websocket.send", "bytes": chunk})
            progress["sent"] += 1
            progress["buffered"] = max(progress["buffered"], transport.get_write_buffer_size())

    async def main() -> None:
        async with serving(flood_out) as url:
            _reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()
            await asyncio.sleep(1.0)
            writer.transport.abort()

    run(main())
    assert 0 < progress["sent"] < 200, progress  # send waited for a drain that never came
    assert progress["buffered"] < 2 * 1024 * 1024, progress


def _live_protocols() -> list[Any]:
    return [p for p in Recorded.instances if p.state is not State.CLOSED]


def test_a_flooding_peer_is_paused_at_max_queue() -> None:
    state: dict[str, Any] = {}

    async def never_reads(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.sleep(1.0)
        protocol = _live_protocols()[0]
        state["queued"] = len(protocol._queue)
        state["paused"] = protocol._read_paused

    async def main() -> None:
        async with serving(never_reads, ws_max_queue=8) as url, connect(url) as ws:
            for _ in range(2000):
                try:
                    await asyncio.wait_for(ws.send(b"x" * 1024), 0.5)
                except (TimeoutError, ConnectionClosed):
                    break
            await asyncio.sleep(1.2)

    run(main())
    assert state["paused"] is True and 8 <= state["queued"] < 200, state


def test_idle_connections_hold_no_timer_of_their_own() -> None:
    """Keepalive pings for every connection run on one loop timer, and their moves to fastws' own transport
    on one more: an idle connection holds none."""

    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        made: list[asyncio.TimerHandle] = []
        call_at = loop.call_at  # asyncio's call_later goes through it

        def recording_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
            handle = call_at(when, callback, *args, **kwargs)
            if getattr(callback, "__module__", "").startswith("fastws"):
                made.append(handle)
            return handle

        loop.call_at = recording_call_at  # type: ignore[method-assign]
        async with serving(echo, ws_ping_interval=20, ws_ping_timeout=20) as url:
            writers = []
            for _ in range(20):
                _reader, writer, head = await raw_upgrade(url)
                assert head.startswith(b"HTTP/1.1 101 ")
                writers.append(writer)
            await asyncio.sleep(0.1)
            pending = [h for h in made if not h.cancelled() and h.when() > loop.time()]
            for writer in writers:
                writer.close()
            return len(writers), len(pending)

    connections, timers = run(main())
    assert connections == 20 and timers == 2, timers  # the keepalive wheel's, and the handoff's (fastws.handoff)


def test_deflate_keeps_zlib_objects_only_while_a_connection_is_busy() -> None:
    """permessage-deflate's zlib objects (most of its memory): none after a lone message; kept while messages
    follow each other within ws_deflate_idle, freed once idle; both sides still read every message.

    The client (websockets) keeps its contexts across messages: each message
    repeats much of the one before, so the peer's references reach back into it.
    """
    original = Recorded.settings
    Recorded.settings = dataclasses.replace(original, ws_deflate_idle=0.2)

    async def main() -> list[tuple[bool, bool]]:
        Recorded.instances = []
        held: list[tuple[bool, bool]] = []
        async with serving(echo, ws_ping_interval=None, ws_per_message_deflate=True) as url:
            async with connect(url, compression="deflate") as ws:
                protocol = Recorded.instances[-1]
                extension = protocol.conn.deflate
                assert extension is not None and not extension.server_no_context_takeover
                for n in range(2):
                    for burst in range(1 + 2 * n):  # a lone message, then three in a row
                        message = f"price {n} {burst} " * 40
                        await ws.send(message)
                        assert await ws.recv() == message
                    held.append((extension.holds_compressor, extension.holds_decompressor))
                    await asyncio.sleep(0.7)  # more than twice ws_deflate_idle, nothing sent
                    held.append((extension.holds_compressor, extension.holds_decompressor))
        return held

    try:
        assert run(main()) == [(False, False), (False, False), (True, True), (False, False)]
    finally:
        Recorded.settings = original


def test_a_config_served_again_on_a_new_loop_keeps_deflate_working() -> None:
    """The deflate idle checks run on the serving loop, not on one a previous serve of the same Config closed."""
    config = uvicorn.Config(
        echo, host="127.0.0.1", port=0, lifespan="off", log_level="warning", ws=Recorded,
        ws_per_message_deflate=True, ws_ping_interval=None,
    )  # fmt: skip

    async def serve_once() -> list[str]:
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}", compression="deflate") as ws:
                replies = []
                for text in ("first " * 20, "second " * 20):
                    await ws.send(text)
                    replies.append(await ws.recv())
                return replies
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 3 * TIMEOUT)

    for _ in range(2):  # each run() is a fresh loop, closed at its end
        assert run(serve_once()) == ["first " * 20, "second " * 20]


def test_messages_go_straight_to_the_socket_while_the_transport_holds_nothing() -> None:
    """Past the loop's write path, as picows does: the transport writes only the handshake here."""

    async def main() -> tuple[list[str], int]:
        Recorded.instances = []
        through_transport: list[bytes] = []
        async with serving(echo, ws=MovesAtTheAccept) as url:
            async with connect(url, compression=None) as ws:
                protocol = Recorded.instances[-1]
                transport = protocol.transport

                class Recording:
                    """The connection's transport, with what goes through its ``write`` written down."""

                    def __getattr__(self, name: str) -> Any:
                        return getattr(transport, name)

                    def write(self, data: Any) -> None:
                        if bytes(data[:1]) in (b"\x81", b"\x82"):  # a data frame (the Close echo may go this way)
                            through_transport.append(bytes(data))
                        transport.write(data)

                protocol.transport = Recording()
                echoed = []
                for n in range(20):
                    await ws.send(f"message {n}")
                    echoed.append(await ws.recv())
        return echoed, len(through_transport)

    echoed, through_transport = run(main())
    assert echoed == [f"message {n}" for n in range(20)]
    assert through_transport == 0


@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"])
def test_messages_keep_their_order_when_the_socket_takes_only_part(loop_factory: Any) -> None:
    """Big messages to a peer that reads late: some go partly to the socket, the rest through the transport."""
    count, size = 40, 256 * 1024

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        for n in range(count):
            await send({"type": "websocket.send", "bytes": n.to_bytes(4, "big") * (size // 4)})
            await send({"type": "websocket.send", "text": f"after {n}"})
            await send({"type": "websocket.send", "text": f"{n:08d}" * (size // 16)})  # large ASCII: header + str
        await receive()

    async def main() -> list[Any]:
        async with serving(app) as url:
            async with connect(url, compression=None, max_size=None) as ws:
                await asyncio.sleep(0.3)  # the server's writes outrun the socket meanwhile
                return [await ws.recv() for _ in range(3 * count)]

    loop = loop_factory()
    try:
        got = loop.run_until_complete(asyncio.wait_for(main(), 30))
    finally:
        loop.close()
    for n in range(count):
        assert got[3 * n] == n.to_bytes(4, "big") * (size // 4), n
        assert got[3 * n + 1] == f"after {n}"
        assert got[3 * n + 2] == f"{n:08d}" * (size // 16), n


def test_a_long_text_the_socket_does_not_take_is_lent_to_the_transport_not_copied() -> None:
    """What of a large ASCII text goes through the transport is a view of the ``str``'s own bytes (compiled twin)."""
    from uvicorn.server import ServerState

    from fastws import sockets

    written: list[Any] = []

    class Holding(asyncio.Transport):  # it holds bytes already: nothing may go to the socket before them
        def write(self, data: Any) -> None:
            written.append(data)

        def get_write_buffer_size(self) -> int:
            return 1

        def is_closing(self) -> bool:
            return False

    async def main() -> None:
        config = uvicorn.Config(echo, ws=protocol.WebSocketProtocol, lifespan="off")
        connection = protocol.WebSocketProtocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
        connection.transport = Holding()
        text = "0123456789abcdef" * 8192  # 128 KiB
        connection.write_parts(b"\x81\x7f" + len(text).to_bytes(8, "big"), text)
        header, body = written
        assert header == b"\x81\x7f" + len(text).to_bytes(8, "big")
        assert type(body) is memoryview and body.readonly and body.tobytes() == text.encode()
        if sockets.COMPILED is not None:
            assert not isinstance(body.obj, (bytes, bytearray))  # over the str itself: no 128 KiB copy

    run(main())


def test_keepalive_closes_a_peer_that_never_answers() -> None:
    async def main() -> None:
        async with serving(echo, ws_ping_interval=0.1, ws_ping_timeout=0.2) as url:
            reader, writer, _head = await raw_upgrade(url)
            data = b""
            frames: list[bytes] = []  # the server's control frames, whole (unmasked, short: 2-byte heads)
            try:
                async with asyncio.timeout(TIMEOUT):
                    while not frames or frames[-1][0] != 0x88:
                        more = await reader.read(100)
                        assert more, data
                        data += more
                        while len(data) >= 2 and len(data) >= 2 + (data[1] & 0x7F):
                            end = 2 + (data[1] & 0x7F)
                            frames.append(data[:end])
                            data = data[end:]
            finally:
                writer.close()
            assert frames[0][0] == 0x89  # the ping came first
            close = frames[-1]
            assert struct.unpack("!H", close[2:4])[0] == 1011

    run(main())


def test_shutdown_closes_open_connections_with_1012() -> None:
    async def main() -> None:
        async with serving(echo) as url:
            ws = await connect(url)
            await ws.send("before")
            assert await ws.recv() == "before"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert ws.close_code == 1012

    run(main())


def test_permessage_deflate_is_negotiated_and_used() -> None:
    async def main() -> None:
        async with serving(echo, ws_per_message_deflate=True, ws_max_size=100_000) as url:
            async with connect(url, max_size=None) as ws:  # the client offers deflate by default
                assert [e.name for e in ws.protocol.extensions] == ["permessage-deflate"]
                assert ws.response is not None
                assert "server_max_window_bits=12" in ws.response.headers["sec-websocket-extensions"]
                for message in ("tiny", "repeat " * 5000, b"\x00" * 90_000):
                    await ws.send(message)
                    assert await ws.recv() == message
                await ws.send(b"\x00" * 200_000)  # small on the wire, over the limit inflated
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
                assert ws.close_code == 1009

    run(main())


@pytest.mark.parametrize("wrapper", ["none", "middleware", "starlette"])
def test_fastws_websocket_writes_directly_unless_send_is_wrapped(websocket_twin: Any, wrapper: str) -> None:
    """Directly on the protocol's own ``send``, and through Starlette's exception wrapper (which passes it on).

    An app's own middleware wrapping ``send`` keeps its ``send`` called.
    """
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    from tests.helpers.twins import websocket_class

    cls = websocket_class(websocket_twin)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = cls(scope, receive, send)
        await websocket.accept()
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(data)
            await websocket.send_bytes(data.encode())
            await websocket.send_json({"echo": data})
            await websocket.send_json([data], mode="binary")

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def logged_send(message: dict[str, Any]) -> None:
            await send(message)

        await app(scope, receive, logged_send)

    class Endpoint:  # an ASGI app as a route's endpoint: Starlette's ExceptionMiddleware wraps its send
        async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            await app(scope, receive, send)

    served = {"none": app, "middleware": wrapped, "starlette": Starlette(routes=[WebSocketRoute("/", Endpoint())])}

    async def main() -> None:
        async with serving(served[wrapper]) as url, connect(url) as ws:
            for text in ("a", "é" * 200):
                await ws.send(text)
                assert [await ws.recv() for _ in range(4)] == [
                    text,
                    text.encode(),
                    f'{{"echo":"{text}"}}',
                    (f'["{text}"]').encode(),
                ]

    Recorded.direct_writes = 0
    run(main())
    assert Recorded.direct_writes == (0 if wrapper == "middleware" else 8)


def test_the_closing_handshake_is_bounded_by_close_timeout() -> None:
    async def close_at_once(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4000})
        await asyncio.sleep(2)  # the app lingers; the timer must close the connection

    original = Recorded.settings
    Recorded.settings = dataclasses.replace(original, ws_close_timeout=0.2)

    async def main() -> None:
        async with serving(close_at_once) as url:
            reader, writer, _head = await raw_upgrade(url)  # a peer that never answers the Close
            async with asyncio.timeout(TIMEOUT):
                data = await reader.read(4)
                assert data[0] == 0x88 and struct.unpack("!H", data[2:4])[0] == 4000
                began = asyncio.get_running_loop().time()
                with contextlib.suppress(ConnectionResetError):  # dropped with a reset: nothing left to send
                    assert await reader.read() == b""  # TCP closed by the server
                assert asyncio.get_running_loop().time() - began < 1.5
            writer.close()

    try:
        run(main())
    finally:
        Recorded.settings = original


def test_a_starlette_app_runs_unchanged() -> None:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket as StarletteWebSocket

    from fastws import WebSocket as FastwsWebSocket
    from fastws import websocket_app

    async def starlette_room(websocket: StarletteWebSocket) -> None:
        await websocket.accept(subprotocol="v1")
        data = await websocket.receive_json()
        await websocket.send_json(
            {"room": websocket.path_params["room"], "got": data, "q": websocket.query_params["q"]}
        )
        await websocket.close(code=4005)

    async def fastws_room(websocket: FastwsWebSocket) -> None:
        assert isinstance(websocket, FastwsWebSocket)
        await websocket.accept(subprotocol="v1")
        data = await websocket.receive_json()
        await websocket.send_json(
            {"room": websocket.path_params["room"], "got": data, "q": websocket.query_params["q"]}
        )
        await websocket.close(code=4005)

    app = Starlette(
        routes=[
            WebSocketRoute("/starlette/{room}", starlette_room),
            WebSocketRoute("/fastws/{room}", websocket_app(fastws_room)),
        ]
    )

    async def main() -> None:
        async with serving(app) as url:
            for kind in ("starlette", "fastws"):
                async with connect(f"{url}/{kind}/lobby?q=%C3%A9", subprotocols=["v1"]) as ws:  # type: ignore[list-item]
                    await ws.send('{"n": 1}')
                    assert await ws.recv() == '{"room":"lobby","got":{"n":1},"q":"é"}'
                    with pytest.raises(ConnectionClosed):
                        await ws.recv()
                    assert ws.close_code == 4005 and ws.subprotocol == "v1"

    run(main())


# ------------------------------------------------------- receive, waiting


def test_an_open_connection_holds_no_handshake_key() -> None:
    # the Sec-WebSocket-Key is needed for the accept only: 64 bytes per connection for its whole life else
    async def main() -> bytes:
        Recorded.instances.clear()
        async with serving(echo) as url, connect(url, compression=None) as client:
            await client.send("x")
            await asyncio.wait_for(client.recv(), TIMEOUT)
            return Recorded.instances[-1]._key  # type: ignore[no-any-return]

    assert run(main()) == b""


async def _while_idle(look: Callable[[], T]) -> T:
    """``look()``'s answer while 20 connections are open and each app waits in its second ``receive``."""
    waiting = asyncio.Event()
    count = 0

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal count
        await receive()
        await send({"type": "websocket.accept"})
        count += 1
        if count == 20:
            waiting.set()
        await receive()

    async with serving(app) as url:
        clients = [await connect(url, compression=None) for _ in range(20)]
        await asyncio.wait_for(waiting.wait(), TIMEOUT)
        await asyncio.sleep(2 * Recorded.settings.ws_own_socket_after + 0.1)  # each app in its second receive, moved
        seen = look()
        for client in clients:
            await client.close()
    return seen


def test_an_app_waiting_in_receive_holds_no_coroutine_of_ours() -> None:
    """``receive`` is a future and the task runs the app's coroutine through an ``AppRun`` (no frame): 20 idle
    connections keep no coroutine of the protocol's, and each task's coroutine is an ``AppRun``."""

    def look() -> tuple[list[str], list[str]]:
        ours = [  # Python's coroutines and Cython's (the compiled core's), made from our sources
            obj.cr_code.co_name
            for obj in gc.get_objects()
            if type(obj).__name__ == "coroutine"
            and (obj.cr_code.co_filename == protocol.__file__ or obj.cr_code.co_filename.endswith(CORE_SOURCE))
        ]
        runs = [type(task.get_coro()).__name__ for task in asyncio.all_tasks() if task.get_name() == "fastws.websocket"]
        return ours, runs

    assert run(_while_idle(look)) == ([], ["AppRun"] * 20)


@pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_an_idle_connection_is_on_its_own_transport_and_holds_only_receive_and_send_bound(start: Any) -> None:
    """20 idle connections, on either loop: each is read and written by a ``SocketTransport`` of its own
    (the loop's transport, which kept the protocol's ``buffer_updated`` and ``data_received`` bound for its
    life, is gone), and the methods kept bound to the protocols are the app's ``receive`` and ``send``."""

    def look() -> tuple[list[str], list[str]]:
        live = [obj for obj in gc.get_objects() if protocol.WebSocketProtocol in type(obj).__mro__ and obj.is_open()]
        bound = sorted(
            obj.__func__.__name__
            for obj in gc.get_objects()
            if type(obj) is types.MethodType and isinstance(obj.__self__, protocol.WebSocketProtocol)
        )
        return [type(each.transport).__name__ for each in live], bound

    transports, bound = start(asyncio.wait_for(_while_idle(look), 30))
    assert transports == ["SocketTransport"] * 20
    assert bound == sorted(["receive", "send"] * 20)


class OnTheLoopsTransport(Recorded):
    """The protocol with ``ws_own_socket`` off."""

    settings = dataclasses.replace(Recorded.settings, ws_own_socket=False)


class MovesAtTheAccept(Recorded):
    """The protocol with ``ws_own_socket_after`` 0: the move at the accept."""

    settings = dataclasses.replace(Recorded.settings, ws_own_socket_after=0)


class MovesAfterASecond(Recorded):
    """The protocol with ``ws_own_socket_after`` 1 s: time enough for short connections on a slow host."""

    settings = dataclasses.replace(Recorded.settings, ws_own_socket_after=1.0)


#: the protocol of each way a connection may be served: moved at the accept, moved ``ws_own_socket_after``
#: (0.1 s) to twice that after it, or never (``ws_own_socket`` off)
SERVED = {"at-the-accept": MovesAtTheAccept, "after-a-while": Recorded, "loop-transport": OnTheLoopsTransport}


@pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
@pytest.mark.parametrize("way", list(SERVED))
def test_an_open_connection_moves_to_its_own_transport_unless_the_setting_says_not(start: Any, way: str) -> None:
    """The same echo every way (messages, their order, the close), the move in its midst or before it; the
    transport it ends on is fastws' ``SocketTransport``, or with ``ws_own_socket`` off the loop's own."""

    async def main() -> tuple[list[str], list[str]]:
        Recorded.instances = []
        async with serving(echo, ws=SERVED[way]) as url:
            async with connect(url, compression=None) as ws:
                echoed = []
                for n in range(50):
                    await ws.send(f"message {n}" * (1 + n * 100))
                    echoed.append(await ws.recv())
                    if n == 25:
                        await asyncio.sleep(2 * Recorded.settings.ws_own_socket_after + 0.1)
                kinds = [type(each.transport).__name__ for each in Recorded.instances]
            assert ws.close_code == 1000
        return echoed, kinds

    echoed, kinds = start(asyncio.wait_for(main(), 30))
    assert echoed == [f"message {n}" * (1 + n * 100) for n in range(50)]
    loops = {asyncio.run: "_SelectorSocketTransport", uvloop.run: "TCPTransport"}
    assert kinds == ([loops[start]] if way == "loop-transport" else ["SocketTransport"])


@pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_a_connection_that_ends_before_ws_own_socket_after_is_never_moved(
    start: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connections that open, echo and close within ``ws_own_socket_after`` stay on the loop's transport (no
    descriptor duplicated: the move costs more than it saves them) and leave nothing waiting for a move; one
    that stays open is moved once that time has passed, before twice it."""
    duplicated: list[int] = []
    dup = os.dup

    def counted_dup(fd: int) -> int:
        duplicated.append(fd)
        return dup(fd)

    async def main() -> tuple[int, list[str], int, list[str]]:
        Recorded.instances = []
        after = MovesAfterASecond.settings.ws_own_socket_after
        async with serving(echo, ws=MovesAfterASecond) as url:
            monkeypatch.setattr(os, "dup", counted_dup)
            began = asyncio.get_running_loop().time()
            for n in range(10):
                async with connect(url, compression=None) as ws:
                    await ws.send(f"short {n}")
                    assert await ws.recv() == f"short {n}"
            assert asyncio.get_running_loop().time() - began < after  # else this host is too slow to tell
            short = [type(each.transport).__name__ for each in Recorded.instances]
            waiting = len(Recorded.instances[0].share.handoff)
            async with connect(url, compression=None) as ws:
                await ws.send("long")
                assert await ws.recv() == "long"
                await asyncio.sleep(after * 0.8)
                before = type(Recorded.instances[-1].transport).__name__
                await asyncio.sleep(after * 1.2 + 0.1)
                await ws.send("moved")
                assert await ws.recv() == "moved"
                long = [before, type(Recorded.instances[-1].transport).__name__]
            monkeypatch.undo()
        return len(duplicated), short, waiting, long

    moves, short, waiting, long = start(asyncio.wait_for(main(), 30))
    loop_transport = {asyncio.run: "_SelectorSocketTransport", uvloop.run: "TCPTransport"}[start]
    assert short == [loop_transport] * 10 and waiting == 0
    assert long == [loop_transport, "SocketTransport"] and moves == 1


@pytest.mark.skipif(not hasattr(socket, "MSG_MORE"), reason="MSG_MORE is Linux's")
@pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
@pytest.mark.parametrize("way", list(SERVED))
def test_the_close_reply_and_the_servers_fin_reach_the_peer_in_one_segment(start: Any, way: str) -> None:
    """The Close the server answers with is the last it writes before it closes TCP (RFC 6455 7.1.1): the
    kernel holds it for the FIN, and the peer gets both in one segment (two before), on every transport."""

    async def main() -> tuple[bytes, bytes, int]:
        async with serving(echo, ws=SERVED[way]) as url:
            reader, writer, head = await raw_upgrade(url)
            assert head.startswith(b"HTTP/1.1 101")
            writer.write(client_frame(0x1, b"hello"))
            assert await asyncio.wait_for(reader.readexactly(7), TIMEOUT) == b"\x81\x05hello"
            if way == "after-a-while":
                await asyncio.sleep(2 * Recorded.settings.ws_own_socket_after + 0.1)  # moved by now
            sock = writer.get_extra_info("socket")
            before = segments_in(sock)
            writer.write(client_frame(0x8, struct.pack("!H", 1000)))
            reply = await asyncio.wait_for(reader.readexactly(4), TIMEOUT)
            rest = await asyncio.wait_for(reader.read(), TIMEOUT)  # b"": the server's FIN
            segments = segments_in(sock) - before
            writer.close()
        return reply, rest, segments

    reply, rest, segments = start(asyncio.wait_for(main(), 30))
    assert (reply, rest) == (b"\x88\x02\x03\xe8", b"")
    assert segments == 1


def test_out_of_descriptors_a_connection_stays_on_the_loops_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """The move takes a second descriptor for a moment: where none is left, the connection is served as
    it would be with ``ws_own_socket`` off, not refused."""

    def no_descriptor(fd: int) -> int:
        raise OSError(24, "Too many open files")

    async def main() -> tuple[list[str], list[str]]:
        Recorded.instances = []
        async with serving(echo) as url:
            monkeypatch.setattr(os, "dup", no_descriptor)
            async with connect(url, compression=None) as ws:
                echoed = []
                for n in range(5):
                    await ws.send(f"message {n}")
                    echoed.append(await ws.recv())
                kinds = [type(each.transport).__name__ for each in Recorded.instances]
            monkeypatch.undo()
        return echoed, kinds

    assert uvloop.run(asyncio.wait_for(main(), 30)) == ([f"message {n}" for n in range(5)], ["TCPTransport"])


@pytest.mark.parametrize("way", list(SERVED))
def test_frames_sent_with_the_request_that_fill_the_queue_keep_reading_paused_past_the_move(way: str) -> None:
    """Frames a client sends right behind its upgrade request (fastws' HTTP front hands them over) fill the
    app's queue before it accepts, and reading pauses: it stays paused once the connection is open, on its
    own transport as on the loop's, until the app takes them (else a client could flood past the bound)."""
    seen: list[bool] = []
    kinds: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await asyncio.sleep(0.2)  # the five messages are parsed meanwhile: the queue's bound is two
        await send({"type": "websocket.accept"})
        if way == "after-a-while":
            await asyncio.sleep(2 * Recorded.settings.ws_own_socket_after + 0.1)
        transport = Recorded.instances[-1].transport
        seen.append(transport.is_reading())
        kinds.append(type(transport).__name__)
        for _ in range(5):
            message = await receive()
            await send({"type": "websocket.send", "text": message["text"]})

    async def main() -> list[bytes]:
        Recorded.instances = []
        options = {"ws": SERVED[way], "http": "fastws.http:HttpProtocol"}
        async with serving(app, ws_max_queue=2, **options) as url:
            frames = b"".join(client_frame(0x1, f"m{n}".encode()) for n in range(5))
            reader, writer, head = await raw_upgrade(url, frames=frames)
            assert head.startswith(b"HTTP/1.1 101")
            echoes = [await asyncio.wait_for(reader.readexactly(4), TIMEOUT) for _ in range(5)]
            writer.close()
        return echoes

    assert run(main()) == [b"\x81\x02m" + str(n).encode() for n in range(5)]
    assert seen == [False]
    assert kinds == (["SocketTransport"] if way != "loop-transport" else ["_SelectorSocketTransport"])


def test_a_receive_given_up_on_loses_no_message() -> None:
    """An app that stops waiting (a timeout cancels the receive) gets the next message from its next receive."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receive(), 0.05)
        await send({"type": "websocket.send", "text": "timed out"})
        message = await receive()
        await send({"type": "websocket.send", "text": message["text"]})

    async def main() -> list[Any]:
        async with serving(app) as url:
            async with connect(url, compression=None) as ws:
                first = await ws.recv()
                await ws.send("after")
                return [first, await ws.recv()]

    assert run(main()) == ["timed out", "after"]


class CountedReads(Recorded):
    """The protocol, counting how the transport hands it what it read."""

    reads = {"buffer_updated": 0, "data_received": 0}

    def buffer_updated(self, nbytes: int) -> None:
        CountedReads.reads["buffer_updated"] += 1
        super().buffer_updated(nbytes)

    def data_received(self, data: bytes) -> None:
        CountedReads.reads["data_received"] += bool(data)  # b"": the protocol's own call, to parse what it kept
        super().data_received(data)


@pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
@pytest.mark.parametrize("http", ["httptools", "fastws.http:HttpProtocol"])
def test_the_transport_reads_into_the_protocols_buffer(start: Any, http: str) -> None:
    # uvloop and asyncio read into get_buffer() from the upgrade on, whichever HTTP side handed over
    CountedReads.reads.update(buffer_updated=0, data_received=0)
    messages = ["a" * 10, "b" * 200, "é€😀" * 60_000, b"\x00" * 300_000]  # the last two: more than one read

    async def main() -> None:
        async with serving(echo, ws=CountedReads, http=http) as url, connect(url, max_size=None) as client:
            for message in messages:
                await client.send(message)
            assert [await asyncio.wait_for(client.recv(), TIMEOUT) for _ in messages] == messages

    start(asyncio.wait_for(main(), 30))
    # data_received had the head only (from uvicorn's HTTP side, or from buffer_updated before the upgrade)
    assert CountedReads.reads["data_received"] == 1
    assert CountedReads.reads["buffer_updated"] >= 2


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed key and certificate for 127.0.0.1 (openssl's command)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate with")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = str(folder / "key.pem"), str(folder / "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return key, cert


@pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_tls_reads_into_the_protocols_buffer(certificate: tuple[str, str], start: Any) -> None:
    # each loop's TLS layer reads what it decrypts into get_buffer() too (a read of up to the whole buffer)
    key, cert = certificate
    CountedReads.reads.update(buffer_updated=0, data_received=0)
    messages = ["a" * 10, "é€😀" * 60_000, b"\x00" * 300_000]

    async def main() -> None:
        context = ssl.create_default_context(cafile=cert)
        async with (
            serving(echo, ws=CountedReads, ssl_keyfile=key, ssl_certfile=cert) as url,
            connect(url.replace("ws://", "wss://"), ssl=context, max_size=None) as client,
        ):
            for message in messages:
                await client.send(message)
            assert [await asyncio.wait_for(client.recv(), TIMEOUT) for _ in messages] == messages

    start(asyncio.wait_for(main(), 30))
    assert CountedReads.reads["data_received"] == 1 and CountedReads.reads["buffer_updated"] >= 2
