"""``fastws.http.HttpProtocol``: the HTTP side ``fastws run`` gives uvicorn.

Upgrade requests must reach fastws' wire layer without uvicorn's HTTP
protocol; everything else must be served by uvicorn's HTTP protocol exactly
as without the front. Each test runs uvicorn on loopback (bounded); the
front's fallback is a counting subclass of uvicorn's httptools protocol so
a test can tell which path a connection took.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import gc
import hashlib
import weakref
from typing import Any

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.asyncio.client import connect

from fastws.http import HttpProtocol
from tests.helpers.serving import TIMEOUT, echo, run, running, serving


class CountingFallback(HttpToolsProtocol):
    """uvicorn's httptools protocol, counting the connections handed to it."""

    handed: int = 0

    def connection_made(self, transport: Any) -> None:
        CountingFallback.handed += 1
        super().connection_made(transport)


class Front(HttpProtocol):
    __slots__ = ()
    fallback = CountingFallback


@pytest.fixture(autouse=True)
def _reset_count() -> None:
    CountingFallback.handed = 0


async def echo_or_hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """WebSocket: echo. HTTP: 200 with the method and path in the body."""
    if scope["type"] == "websocket":
        return await echo(scope, receive, send)
    assert scope["type"] == "http"
    body = f"{scope['method']} {scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


KEY = base64.b64encode(b"0123456789abcdef")
ACCEPT = base64.b64encode(hashlib.sha1(KEY + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
UPGRADE = (
    b"GET /chat?x=1 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
HELLO_FRAME = b"\x81\x85\x01\x02\x03\x04" + bytes(b ^ (1, 2, 3, 4)[i % 4] for i, b in enumerate(b"hello"))


async def exchange(url: str, *chunks: bytes, until: bytes = b"\r\n\r\n", pause: float = 0.0) -> bytes:
    """Send ``chunks`` on a raw connection (``pause`` s apart); read until ``until`` or EOF."""
    host, port = url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        data = b""
        async with asyncio.timeout(TIMEOUT):
            while until not in data:
                more = await reader.read(65536)
                if not more:
                    break
                data += more
        return data
    finally:
        writer.close()


def test_an_upgrade_goes_straight_to_the_wire_layer() -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front) as url, connect(url + "/a?b=1", compression=None) as ws:
            await ws.send("é" * 70_000)
            assert await ws.recv() == "é" * 70_000
        assert CountingFallback.handed == 0

    run(main())


def test_an_upgrade_is_one_protocol_object_from_the_first_byte() -> None:
    """The front gives the --ws protocol itself: no HttpProtocol made, and no hand-over, per WebSocket connection
    (nor per plain HTTP one: that goes from the --ws protocol to uvicorn's HTTP protocol)."""
    made: list[str] = []

    class Counted(Front):
        __slots__ = ()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append("front")
            super().__init__(*args, **kwargs)

    async def main() -> None:
        async with serving(echo_or_hello, http=Counted) as url:
            for n in range(5):
                async with connect(f"{url}/{n}", compression=None) as ws:
                    await ws.send("hi")
                    assert await ws.recv() == "hi"
            assert made == []
            answer = await exchange(url, b"GET /plain HTTP/1.1\r\nHost: t\r\n\r\n", until=b"GET /plain")
            assert answer.startswith(b"HTTP/1.1 200 ") and made == []  # plain HTTP: straight to the fallback
            answer = await exchange(url, b"GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n", until=b"never")
            assert answer.startswith(b"HTTP/1.1 400 ") and made == ["front"]  # answered by the front itself
        assert CountingFallback.handed == 1

    run(main())


def test_waiting_heads_set_no_loop_timer_each() -> None:
    """Their deadlines are on one wheel per server (uvloop: ~550 bytes and ~2 us per timer)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        set_timers = 0
        call_at = loop.call_at

        def counting_call_at(when: float, callback: Any, *args: Any, **context: Any) -> asyncio.TimerHandle:
            nonlocal set_timers
            set_timers += getattr(callback, "__module__", "").startswith("fastws")  # not asyncio.sleep's
            return call_at(when, callback, *args, **context)

        async with serving(echo_or_hello, http=Front) as url:
            host, port = url.removeprefix("ws://").split(":")
            loop.call_at = counting_call_at  # type: ignore[method-assign]
            try:
                writers = []
                for _ in range(20):
                    _, writer = await asyncio.open_connection(host, int(port))
                    writer.write(b"GET / HT")  # a head on its way
                    writers.append(writer)
                await asyncio.sleep(0.05)
            finally:
                loop.call_at = call_at  # type: ignore[method-assign]
            for writer in writers:
                writer.close()
        assert set_timers <= 1, set_timers  # the wheel's, at most

    run(main())


def test_a_head_in_one_byte_chunks_with_a_frame_right_behind_it() -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front) as url:
            chunks = [UPGRADE[i : i + 1] for i in range(len(UPGRADE))]
            answer = await exchange(url, *chunks, HELLO_FRAME, until=b"\x81\x05hello", pause=0.001)
            head, _, frames = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101 ") and b"Sec-WebSocket-Accept: " + ACCEPT in head
            assert frames == b"\x81\x05hello"
            answer = await exchange(url, UPGRADE + HELLO_FRAME, until=b"\x81\x05hello")  # one write
            assert answer.endswith(b"\r\n\r\n\x81\x05hello")
        assert CountingFallback.handed == 0

    run(main())


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /plain HTTP/1.1\r\nHost: t\r\n\r\n",
        b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
        b"GET /h2c HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",  # not ours: plain HTTP
        b"GET /ws-1.0 HTTP/1.0\r\nHost: t\r\nUpgrade: websocket\r\n\r\n",  # mentions websocket, no upgrade
        # uvicorn upgrades only a last Upgrade header that is "websocket", whole, and a last Connection with "upgrade"
        b"GET /two HTTP/1.1\r\nHost: t\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\n\r\n",
        b"GET /last HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nConnection: close\r\n\r\n",
    ],
)
def test_everything_else_is_served_by_uvicorns_http_protocol(request_bytes: bytes) -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front) as url:
            method, path = request_bytes.split(b" ")[:2]
            body = method + b" " + path
            answer = await exchange(url, request_bytes[:5], request_bytes[5:], until=body, pause=0.01)
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n" + body), answer
        assert CountingFallback.handed == 1

    run(main())


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nbad header line\r\n\r\n",
        UPGRADE.replace(b"/chat?x=1", b"/\xc3\xa9?q=\xc3\xa9"),  # RFC 9112 3.2: a target is ASCII
        UPGRADE.replace(b"/chat?x=1", b"/caf\xe9"),
    ],
)
def test_a_malformed_head_gets_uvicorns_400(head: bytes) -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front) as url:
            answer = await exchange(url, head)
            assert answer.startswith(b"HTTP/1.1 400 ")
        assert CountingFallback.handed == 1

    run(main())


def test_another_ws_class_gets_the_upgrade_through_uvicorn() -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front, ws="websockets-sansio") as url:
            async with connect(url + "/", compression=None) as ws:
                await ws.send("hi")
                assert await ws.recv() == "hi"
        assert CountingFallback.handed == 1

    run(main())


def test_a_bad_upgrade_is_answered_by_the_wire_layer() -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front) as url:
            answer = await exchange(url, UPGRADE.replace(b"Version: 13", b"Version: 8"))
            assert answer.startswith(b"HTTP/1.1 426 ") and b"Sec-WebSocket-Version: 13" in answer
        assert CountingFallback.handed == 0

    run(main())


def test_shutdown_answers_a_head_that_never_completes_with_503_after_the_linger() -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Front) as url:
            host, port = url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"GE")  # a head that never completes
            await writer.drain()
            await asyncio.sleep(0.05)
        answer = await asyncio.wait_for(reader.read(), TIMEOUT)  # answered by the server's shutdown
        assert answer.startswith(b"HTTP/1.1 503 ") and b"\r\nserver: uvicorn\r\n" in answer, answer
        writer.close()

    run(main())


# ------------------------------------------------ hostile heads, both fronts

FRONTS = [pytest.param("httptools", id="httptools"), pytest.param(Front, id="fastws.http")]


def upgrade_with(*, line: bytes = b"GET /chat?x=1 HTTP/1.1", extra: bytes = b"") -> bytes:
    head = UPGRADE.replace(b"GET /chat?x=1 HTTP/1.1", line)
    return head[:-2] + extra + b"\r\n"


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(upgrade_with(extra=b"X-Big: " + b"y" * 1000 + b"\r\n") * 1, 101, id="a 1 KiB line is fine"),
        pytest.param(upgrade_with(extra=(b"X-B: " + b"y" * 1000 + b"\r\n") * 1024), 431, id="1 MiB of headers"),
        pytest.param(upgrade_with(extra=b"X-N: 1\r\n" * 10_000), 431, id="10,000 headers"),
        pytest.param(upgrade_with(extra=b"X-Big: " + b"y" * 100_000 + b"\r\n"), 431, id="one 100 KiB line"),
        pytest.param(upgrade_with(extra=b"X-A: a\0b\r\n"), 400, id="NUL in a value"),
        pytest.param(upgrade_with(extra=b"X-A: a\rb\r\n"), 400, id="bare CR in a value"),
        pytest.param(upgrade_with(extra=b"X-A: a\x01b\r\n"), 400, id="0x01 in a value"),
        pytest.param(upgrade_with(line=b"GET /a\x7fb HTTP/1.1"), 400, id="DEL in the path"),
    ],
)
def test_heads_over_the_limits_or_with_control_bytes_are_refused(front: Any, request_bytes: bytes, status: int) -> None:
    async def main() -> bytes:
        async with serving(echo_or_hello, http=front) as url:
            return await exchange(url, request_bytes, until=b"\r\n\r\n")

    answer = run(main())
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:80]
    assert b"\r\nserver: uvicorn\r\n" in answer and b"\r\ndate: " in answer, answer[:200]  # the server's headers


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"GET \x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", id="GET then binary"),
        pytest.param(b"GET / HTTP/1.1\nHost: x\nUpgrade: websocket\n\n", id="bare-LF line ends"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r" + b"y" * 10, id="a CR without its LF"),
    ],
)
def test_a_head_that_cannot_be_valid_is_answered_400_and_closed_at_once(garbage: bytes) -> None:
    async def main() -> bytes:
        async with serving(echo_or_hello, http=Front) as url:
            return await exchange(url, garbage, until=b"never")  # reads to EOF: the server closes

    answer = run(main())
    assert answer.startswith(b"HTTP/1.1 400 ") and b"connection: close" in answer, answer


def test_a_head_that_grows_without_end_gets_431_not_memory() -> None:
    async def main() -> bytes:
        async with serving(echo_or_hello, http=Front) as url:
            host, port = url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                writer.write(b"GET / HTTP/1.1\r\n")
                for _ in range(1000):  # up to 1 MiB of header lines, and no end
                    writer.write(b"X-Line: " + b"y" * 1000 + b"\r\n")
                    await writer.drain()
            except OSError:  # the server answered and closed
                pass
            answer = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
            return answer

    assert run(main()).startswith(b"HTTP/1.1 431 ")


class Impatient(Front):
    """The front with a head timeout of 0.3 s."""

    __slots__ = ()
    settings = dataclasses.replace(Front.settings, http_head_timeout=0.3)


def test_a_trickled_head_is_closed_at_the_head_timeout() -> None:
    async def main() -> tuple[bytes, float]:
        async with serving(echo_or_hello, http=Impatient) as url:
            host, port = url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            loop = asyncio.get_running_loop()
            began = loop.time()
            answer = b""
            async with asyncio.timeout(TIMEOUT):
                for byte in UPGRADE[:40]:  # one byte every 50 ms, until the server answers
                    writer.write(bytes([byte]))
                    try:
                        answer = await asyncio.wait_for(reader.read(65536), 0.05)
                        answer += await reader.read()  # to EOF: the server closes
                        break
                    except TimeoutError:
                        pass
            writer.close()
            return answer, loop.time() - began

    answer, took = run(main())
    assert answer.startswith(b"HTTP/1.1 408 ") and took < 1.5, (answer, took)
    assert b"\r\nserver: uvicorn\r\n" in answer and b"\r\ndate: " in answer, answer


def test_a_connection_that_sends_nothing_is_closed_unanswered_at_the_head_timeout() -> None:
    # a response to no request could be read as the answer to the client's next one
    async def main() -> tuple[bytes, float]:
        async with serving(echo_or_hello, http=Impatient) as url:
            host, port = url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            loop = asyncio.get_running_loop()
            began = loop.time()
            answer = await asyncio.wait_for(reader.read(), TIMEOUT)  # to EOF
            writer.close()
            return answer, loop.time() - began

    answer, took = run(main())
    assert answer == b"" and took < 1.5, (answer, took)


def test_a_whole_head_in_time_is_not_timed_out() -> None:
    async def main() -> None:
        async with serving(echo_or_hello, http=Impatient) as url, connect(url, compression=None) as ws:
            await asyncio.sleep(0.6)  # past the head's deadline: it no longer applies
            await ws.send("still here")
            assert await ws.recv() == "still here"

    run(main())


def test_a_stopped_server_is_not_kept_by_the_front() -> None:
    # its state, config, app and loop go with it (tests and embedding run servers one after another)
    states: list[weakref.ReferenceType[Any]] = []

    async def main() -> None:
        async with running(echo_or_hello, http=Front) as (server, url):
            states.append(weakref.ref(server.server_state))
            async with connect(url + "/", compression=None) as ws:
                await ws.send("hi")
                assert await ws.recv() == "hi"

    run(main())
    gc.collect()  # the server's own cycles (uvicorn's), not the front's
    assert states[0]() is None
