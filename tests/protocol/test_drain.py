"""A graceful shutdown that spreads its 1012s (``ws_drain_window``) and answers what arrives meanwhile.

uvicorn runs in process on loopback and is stopped as a signal would stop
it (``should_exit``): it closes its listener, then calls each connection's
``shutdown``. The clients are raw sockets, so each sees exactly what the
server sent and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import struct
import time
from typing import Any

import pytest

from fastws import metrics
from fastws.http import HttpProtocol
from fastws.protocol import WebSocketProtocol
from fastws.settings import Settings
from tests.helpers.frames import client_frame
from tests.helpers.serving import TIMEOUT, echo, raw_upgrade, run, running

CLOSE = 0x8


class Draining(WebSocketProtocol):
    settings = Settings()


class Front(HttpProtocol):
    settings = Settings()
    linger = 0.2


@pytest.fixture(autouse=True)
def _settings() -> Any:
    yield
    Draining.settings = Front.settings = Settings()


def use(**changes: Any) -> None:
    Draining.settings = Front.settings = dataclasses.replace(Settings(), **changes)


def started(app: Any = echo, **options: Any) -> Any:
    """uvicorn with fastws' HTTP front and protocol (their settings set per test), and the server to stop."""
    return running(app, ws=Draining, http=Front, **options)


async def _close_frame(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[float, int, str]:
    """Wait for the server's Close (after any data frames); answer it. When it came, its code and reason."""
    while True:
        head = await asyncio.wait_for(reader.readexactly(2), 3 * TIMEOUT)
        payload = await reader.readexactly(head[1] & 0x7F)
        if head[0] & 0x0F == CLOSE:
            writer.write(client_frame(CLOSE, payload[:2]))
            (code,) = struct.unpack("!H", payload[:2])
            return time.monotonic(), code, payload[2:].decode()


async def _stopped_with_clients(server: Any, url: str, count: int) -> tuple[float, list[tuple[float, int, str]]]:
    """Open ``count`` clients, stop the server as a signal would, read each one's Close: when it stopped, the closes."""
    clients = [await raw_upgrade(url) for _ in range(count)]
    assert all(head.startswith(b"HTTP/1.1 101") for _, _, head in clients)
    began = time.monotonic()
    server.should_exit = True
    closes = await asyncio.gather(*(_close_frame(reader, writer) for reader, writer, _ in clients))
    for _, writer, _ in clients:
        writer.close()
    return began, list(closes)


def test_the_1012s_are_spread_over_the_window_in_a_random_order() -> None:
    use(ws_drain_window=1.5, ws_drain_reason="reconnect in a moment")

    async def main() -> tuple[float, list[tuple[float, int, str]]]:
        async with started() as (server, url):
            return await _stopped_with_clients(server, url, 40)

    began, closes = run(main())
    assert {(code, reason) for _, code, reason in closes} == {(1012, "reconnect in a moment")}
    moments = sorted(at - began for at, _, _ in closes)
    assert moments[-1] < 1.5 + 1.0  # within the window (and a loaded machine's slack)
    assert moments[-1] - moments[0] > 0.75  # spread: 40 uniform draws span over half the window
    # not all at once: no tenth of a second holds more than a quarter of the closes
    assert max(sum(1 for m in moments if t / 10 <= m < (t + 1) / 10) for t in range(30)) <= 10


def test_without_a_window_every_connection_closes_at_once() -> None:
    async def main() -> list[float]:
        async with started() as (server, url):
            began, closes = await _stopped_with_clients(server, url, 10)
        assert {code for _, code, _ in closes} == {1012}
        return [at - began for at, _, _ in closes]

    assert max(run(main())) < 1.0


def test_the_window_is_kept_within_uvicorns_graceful_timeout() -> None:
    use(ws_drain_window=60.0, ws_close_timeout=1.0)

    async def main() -> float:
        async with started(timeout_graceful_shutdown=2) as (server, url):
            began, closes = await _stopped_with_clients(server, url, 10)
        return max(at for at, _, _ in closes) - began

    assert run(main()) < 2.0  # at most 2 - 1 s of window, so every closing handshake fits before the deadline


def test_a_client_that_answers_goes_at_once_one_that_does_not_at_its_close_timeout() -> None:
    use(ws_close_timeout=1.0)

    async def main() -> tuple[float, float]:
        async with started() as (server, url):
            (r1, w1, _), (r2, w2, _) = await raw_upgrade(url), await raw_upgrade(url)
            began = time.monotonic()
            server.should_exit = True
            await _close_frame(r1, w1)  # answers
            await asyncio.wait_for(r1.read(), TIMEOUT)  # then the server closes TCP
            answered = time.monotonic() - began
            with contextlib.suppress(ConnectionResetError):  # never answers: aborted at the close timeout
                await asyncio.wait_for(r2.read(), 3 * TIMEOUT)
            silent = time.monotonic() - began
            w1.close()
            w2.close()
        return answered, silent

    answered, silent = run(main())
    assert answered < 0.5 and 0.8 < silent < 5


async def wait_for_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that has not answered the upgrade when the server stops (it hears of the disconnect)."""
    await receive()
    assert (await asyncio.wait_for(receive(), TIMEOUT))["type"] == "websocket.disconnect"


def test_an_upgrade_not_yet_answered_gets_503() -> None:
    async def main() -> bytes:
        async with started(wait_for_app) as (server, url):
            host, port = url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")  # fmt: skip
            await asyncio.sleep(0.2)
            server.should_exit = True
            answer = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
        return answer

    assert run(main()).startswith(b"HTTP/1.1 503 ")


def test_a_head_still_arriving_at_shutdown_is_answered_503_and_an_empty_connection_closed() -> None:
    async def main() -> tuple[bytes, bytes, dict[str, Any]]:
        async with started() as (server, url):
            before = metrics.snapshot()
            host, port = url.removeprefix("ws://").split(":")
            r1, w1 = await asyncio.open_connection(host, int(port))
            r2, w2 = await asyncio.open_connection(host, int(port))
            w1.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # half a head
            await asyncio.sleep(0.2)
            server.should_exit = True
            await asyncio.sleep(0.1)
            w1.write(b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")  # fmt: skip
            late = await asyncio.wait_for(r1.read(), TIMEOUT)
            empty = await asyncio.wait_for(r2.read(), TIMEOUT)  # nothing was sent on it: closed
            w1.close()
            w2.close()
            after = metrics.snapshot().handshakes
            return late, empty, {key: n - before.handshakes.get(key, 0) for key, n in after.items()}

    late, empty, handshakes = run(main())
    assert late.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in late.lower()
    assert empty == b""
    assert handshakes.get(("unavailable", 503)) == 1
