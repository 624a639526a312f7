"""Hostile and stalled peers against ``fastws.protocol`` (``fastws.settings``), over loopback.

Each test plays one attacker with one raw client on a real uvicorn and
looks inside the server's protocol object: what it holds for the app, what
waits to be written, and whether the connection is let go in time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.protocols.utils import ClientDisconnected
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from fastws.http import HttpProtocol
from fastws.protocol import State, WebSocketProtocol
from fastws.settings import Settings
from tests.helpers.frames import client_frame
from tests.helpers.serving import TIMEOUT, echo, raw_upgrade, run, serving

MiB = 1024 * 1024


class Watched(WebSocketProtocol):
    """The protocol, remembering its instances; ``settings`` set per test."""

    instances: list[WebSocketProtocol] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Watched.instances.append(self)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    Watched.instances = []
    Watched.settings = Settings()
    yield
    Watched.instances = []


def use(**changes: Any) -> None:
    Watched.settings = dataclasses.replace(Settings(), **changes)


async def echo_forever(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo, and hold on after the peer has gone (as an app busy elsewhere would)."""
    try:
        await echo(scope, receive, send)
    except ClientDisconnected:
        pass


def held(protocol: WebSocketProtocol) -> int:
    """Bytes of received messages the protocol holds for the app."""
    return sum(len(e.get("bytes") or e.get("text") or b"") for e in protocol._queue)


# ------------------------------------------------------ read budget


def test_a_peer_that_never_reads_cannot_make_the_server_queue_its_messages() -> None:
    """Big messages, echoes never read: the app waits in send, reading stops after about one message."""
    peak = {"held": 0, "queued": 0}

    async def main() -> None:
        async with serving(echo_forever, ws=Watched, ws_max_size=2 * MiB) as url:
            _reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()  # never read the echoes
            message = client_frame(2, os.urandom(MiB))
            for _ in range(40):  # 40 MiB offered
                writer.write(message)
                try:
                    await asyncio.wait_for(writer.drain(), 0.5)
                except TimeoutError:
                    break
                protocol = Watched.instances[0]
                peak["held"] = max(peak["held"], held(protocol))
                peak["queued"] = max(peak["queued"], len(protocol._queue))
            await asyncio.sleep(0.5)
            protocol = Watched.instances[0]
            peak["held"] = max(peak["held"], held(protocol))
            assert protocol._queued_bytes == held(protocol)  # the count the bound uses is exact
            writer.transport.abort()

    run(main())
    # at most one message past the budget waits for the app (uvicorn's default ws_max_queue is 32)
    assert peak["held"] <= MiB + Settings().ws_max_queue_bytes, peak


def test_compressed_messages_are_inflated_no_further_than_the_budget() -> None:
    """A deflate bomb: a thousand 1 MiB messages of zeros, ~1 KiB each on the wire, sent at once."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = bomb.compress(b"\0" * MiB) + bomb.flush(zlib.Z_SYNC_FLUSH)
    assert payload.endswith(b"\0\0\xff\xff")
    message = client_frame(2, payload[:-4], rsv=4)
    state: dict[str, Any] = {}

    async def never_reads(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.sleep(1.0)
        protocol = Watched.instances[0]
        state.update(held=held(protocol), count=len(protocol._queue), stopped=protocol.conn.stopped)
        for _ in range(1000):  # the app reads them all: the codec goes on from where it stopped
            event = await receive()
            assert len(event["bytes"]) == MiB
        state["read"] = True

    async def main() -> None:
        async with serving(never_reads, ws=Watched, ws_max_size=2 * MiB, ws_per_message_deflate=True) as url:
            _reader, writer, head = await raw_upgrade(url, extra=b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
            assert b"permessage-deflate" in head
            writer.write(message * 1000)
            async with asyncio.timeout(TIMEOUT):
                while "read" not in state:
                    await asyncio.sleep(0.05)
            writer.transport.abort()

    run(main())
    assert state["held"] <= MiB + Settings().ws_max_queue_bytes and state["stopped"], state


def test_the_budget_is_a_setting() -> None:
    use(ws_max_queue_bytes=10 * MiB)
    state: dict[str, Any] = {}

    async def never_reads(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.sleep(1.0)
        state["held"] = held(Watched.instances[0])

    async def main() -> None:
        async with serving(never_reads, ws=Watched) as url:
            _reader, writer, _head = await raw_upgrade(url)
            writer.write(client_frame(2, b"x" * 100_000) * 50)
            await asyncio.sleep(1.5)
            writer.transport.abort()

    run(main())
    assert 5 * MiB > state["held"] >= 10 * 100_000, state  # queued past 64 KiB, up to the count (32)


def test_deflate_memory_is_a_setting() -> None:
    answers = {}

    async def main(bits: int) -> None:
        use(ws_deflate_window_bits=bits, ws_deflate_mem_level=9)
        async with serving(echo, ws=Watched, ws_per_message_deflate=True) as url:
            _reader, writer, head = await raw_upgrade(url, b"Sec-WebSocket-Extensions: permessage-deflate\r\n")
            answers[bits] = head
            assert Watched.instances[-1].conn.deflate.mem_level == 9
            writer.transport.abort()

    for bits in (9, 12, 15):
        run(main(bits))
    assert b"server_max_window_bits=9\r\n" in answers[9] and b"server_max_window_bits=12\r\n" in answers[12]
    assert b"permessage-deflate\r\n" in answers[15]  # zlib's largest window: nothing to ask


# ------------------------------------------------------- pings, writes


def test_a_ping_flood_that_never_reads_its_pongs_leaves_one_pong_owed() -> None:
    grown: dict[str, int] = {}

    async def fill_then_wait(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"z" * (4 * MiB)})  # more than the peer's socket takes
        transport = Watched.instances[0].transport
        before = transport.get_write_buffer_size()
        await asyncio.sleep(1.5)
        grown["bytes"] = transport.get_write_buffer_size() - before
        grown["owed"] = Watched.instances[0]._owed_pong is not None

    async def main() -> None:
        async with serving(fill_then_wait, ws=Watched) as url:
            _reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()
            await asyncio.sleep(0.3)
            writer.write(client_frame(9, b"p" * 100) * 100_000)  # 10 MiB of pongs owed, if all were kept
            await asyncio.sleep(1.5)
            writer.transport.abort()

    run(main())
    assert grown["bytes"] < 64 * 1024 and grown["owed"], grown


def test_the_owed_pong_goes_out_when_the_peer_reads_again() -> None:
    async def fill(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"z" * (4 * MiB)})
        await receive()

    async def main() -> None:
        async with serving(fill, ws=Watched) as url:
            reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()
            await asyncio.sleep(0.3)
            writer.write(client_frame(9, b"first") + client_frame(9, b"latest"))
            await asyncio.sleep(0.3)
            writer.transport.resume_reading()
            data = b""
            async with asyncio.timeout(TIMEOUT):
                while b"latest" not in data:
                    data += await reader.read(MiB)
            assert b"first" not in data  # only the latest ping is answered (RFC 6455 5.5.3)
            writer.transport.abort()

    run(main())


def test_an_echo_after_the_peers_close_that_cannot_be_flushed_is_aborted() -> None:
    use(ws_close_timeout=0.3)

    async def fill_then_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"z" * (8 * MiB)})
        await receive()  # the peer's Close

    async def main() -> float:
        async with serving(fill_then_echo, ws=Watched) as url:
            reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()  # never read: our Close's echo cannot be flushed
            await asyncio.sleep(0.3)
            writer.write(client_frame(8, b"\x03\xe8"))
            began = asyncio.get_running_loop().time()
            async with asyncio.timeout(TIMEOUT):
                while Watched.instances[0].state is not State.CLOSED:
                    await asyncio.sleep(0.02)
            took = asyncio.get_running_loop().time() - began
            writer.transport.resume_reading()
            with pytest.raises(ConnectionResetError):  # a reset: the kernel kept none of the unsent 8 MiB
                async with asyncio.timeout(TIMEOUT):
                    while await reader.read(MiB):
                        pass
            writer.transport.abort()
            return took

    assert run(main()) < 2.0


def test_a_write_timeout_drops_a_peer_that_reads_nothing() -> None:
    use(ws_write_timeout=0.3)
    seen: dict[str, Any] = {}

    async def flood(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        try:
            while True:
                await send({"type": "websocket.send", "bytes": b"z" * MiB})
        except ClientDisconnected:
            seen["send"] = "ClientDisconnected"
        seen["receive"] = await receive()

    async def main() -> None:
        async with serving(flood, ws=Watched) as url:
            _reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()
            async with asyncio.timeout(TIMEOUT):
                while "receive" not in seen:
                    await asyncio.sleep(0.02)
            writer.transport.abort()

    run(main())
    assert seen == {"send": "ClientDisconnected", "receive": {"type": "websocket.disconnect", "code": 1013,
                                                              "reason": "write timeout"}}  # fmt: skip


def test_no_write_timeout_by_default() -> None:
    seen: dict[str, Any] = {}

    async def flood(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"z" * (8 * MiB)})
        seen["waiting"] = True
        await send({"type": "websocket.send", "bytes": b"z"})
        seen["sent"] = True

    async def main() -> None:
        async with serving(flood, ws=Watched) as url:
            _reader, writer, _head = await raw_upgrade(url)
            writer.transport.pause_reading()
            await asyncio.sleep(1.0)
            assert seen == {"waiting": True} and Watched.instances[0].state is not State.CLOSED
            writer.transport.abort()

    run(main())


# ------------------------------------------------- admission: Origin, limit

FRONTS = [pytest.param({}, id="httptools"), pytest.param({"http": HttpProtocol}, id="fastws.http")]


async def status_of(url: str, origin: str | None) -> int:
    try:
        async with connect(url, origin=origin, compression=None) as ws:  # type: ignore[arg-type]
            await ws.send("hi")
            assert await ws.recv() == "hi"
            return 101
    except InvalidStatus as error:
        return error.response.status_code


@pytest.mark.parametrize("front", FRONTS)
def test_an_origin_outside_the_allow_list_gets_403(front: dict[str, Any]) -> None:
    async def main() -> dict[str | None, int]:
        async with serving(echo, ws=Watched, **front) as url:
            origins = [
                "https://app.example.com", "HTTPS://APP.EXAMPLE.COM", "https://a.b.example.org", None,
                "https://evil.com", "https://example.org", "http://app.example.com", "https://app.example.com.evil",
                "null",
            ]  # fmt: skip
            return {origin: await status_of(url, origin) for origin in origins}

    use(ws_allowed_origins=("https://app.example.com", "https://*.example.org"))
    assert run(main()) == {
        "https://app.example.com": 101, "HTTPS://APP.EXAMPLE.COM": 101, "https://a.b.example.org": 101, None: 101,
        "https://evil.com": 403, "https://example.org": 403, "http://app.example.com": 403,
        "https://app.example.com.evil": 403, "null": 403,
    }  # fmt: skip
    use(ws_allowed_origins=("https://app.example.com",), ws_allow_missing_origin=False)
    assert run(main())[None] == 403


def test_no_origin_check_by_default() -> None:
    async def main() -> int:
        async with serving(echo, ws=Watched) as url:
            return await status_of(url, "https://anywhere.example")

    assert run(main()) == 101


@pytest.mark.parametrize("front", FRONTS)
def test_limit_concurrency_refuses_upgrades_with_503(front: dict[str, Any]) -> None:
    async def main() -> list[int]:
        async with serving(echo, ws=Watched, limit_concurrency=3, **front) as url:
            held_open = [await connect(url, compression=None) for _ in range(2)]
            refused = await status_of(url, None)
            await held_open[0].close()
            await asyncio.sleep(0.2)
            admitted = await status_of(url, None)
            await held_open[1].close()
            return [refused, admitted]

    assert run(main()) == [503, 101]
