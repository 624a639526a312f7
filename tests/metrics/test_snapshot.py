"""``fastws.metrics.snapshot()`` against real connections on loopback: what each kind of traffic moves.

The counters belong to the process and only grow, so each test takes a
snapshot before and compares the one after: ``moved`` keeps what changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from fastws import metrics
from fastws.protocol import WebSocketProtocol
from fastws.settings import Settings
from tests.helpers.serving import TIMEOUT, echo, raw_upgrade, run, serving


class Watched(WebSocketProtocol):
    """The protocol, remembering its instances; ``settings`` set per test."""

    instances: list[WebSocketProtocol] = []
    settings = Settings()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Watched.instances.append(self)


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    Watched.instances = []
    Watched.settings = Settings()
    yield
    Watched.instances = []


def moved(before: metrics.Snapshot, after: metrics.Snapshot) -> dict[str, Any]:
    """What changed between two snapshots: counters as differences, gauges as they are after."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(after):
        old, new = getattr(before, field.name), getattr(after, field.name)
        if field.name == "broadcast":
            continue  # tests/metrics/test_broadcast.py
        if isinstance(new, dict):
            diff = {key: value - old.get(key, 0) for key, value in new.items() if value != old.get(key, 0)}
            if diff:
                changes[field.name] = diff
        elif field.name == "wire":
            diff = {name: b - a for name, a, b in zip(new._fields, old, new, strict=True) if b != a}
            if diff:
                changes["wire"] = diff
        elif field.name in ("connections_total", "deflate_total", "write_paused_seconds"):
            if new != old:
                changes[field.name] = new - old
        elif new:
            changes[field.name] = new  # a gauge: what is true now
    return changes


async def _settled(before: metrics.Snapshot, **expected: Any) -> dict[str, Any]:
    """The changes since ``before``, once the server has seen the connection end (bounded)."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            changes = moved(before, metrics.snapshot())
            if all(changes.get(key) == value for key, value in expected.items()):
                return changes
            await asyncio.sleep(0.01)


def test_an_echo_session_each_way() -> None:
    async def main() -> dict[str, Any]:
        async with serving(echo, ws=Watched) as url:
            before = metrics.snapshot()
            async with connect(url, compression=None) as ws:
                await ws.send("héllo")
                assert await ws.recv() == "héllo"
                await ws.send(b"\x00" * 300)
                assert await ws.recv() == b"\x00" * 300
                during = moved(before, metrics.snapshot())
                assert during["connections_open"] == 1
            return await _settled(before, closes={("1000", "client"): 1})

    assert run(main()) == {
        "connections_total": 1,
        "handshakes": {("accepted", 101): 1},
        "closes": {("1000", "client"): 1},
        "wire": {
            "text_received": 1,
            "text_bytes_received": 6,
            "text_sent": 1,
            "text_bytes_sent": 6,
            "binary_received": 1,
            "binary_bytes_received": 300,
            "binary_sent": 1,
            "binary_bytes_sent": 300,
            "closes_received": 1,
            "closes_sent": 1,
        },
    }


async def close_with_4001(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 4001})
    await receive()


def test_the_app_closes() -> None:
    async def main() -> dict[str, Any]:
        async with serving(close_with_4001, ws=Watched) as url:
            before = metrics.snapshot()
            async with connect(url) as ws:
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
            return await _settled(before, closes={("4001", "server"): 1})

    changes = run(main())
    assert changes["closes"] == {("4001", "server"): 1}
    assert changes["wire"] == {"closes_sent": 1, "closes_received": 1}


async def deny(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    if scope["path"] == "/close":
        await send({"type": "websocket.close"})
    else:
        await send({"type": "websocket.http.response.start", "status": 401, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"no"})


def test_handshake_outcomes() -> None:
    async def main() -> dict[str, Any]:
        Watched.settings = dataclasses.replace(Settings(), ws_allowed_origins=("https://app.example.com",))
        async with serving(deny, ws=Watched) as url:
            before = metrics.snapshot()
            for path in ("/close", "/401"):
                with pytest.raises(InvalidStatus):
                    async with connect(url + path, origin="https://app.example.com"):  # type: ignore[arg-type]
                        pass
            with pytest.raises(InvalidStatus):
                async with connect(url, origin="https://evil.example.com"):  # type: ignore[arg-type]
                    pass
            _, writer, head = await raw_upgrade(url, b"Origin: https://app.example.com\r\n", version=b"12")
            writer.close()
            assert head.startswith(b"HTTP/1.1 426")
            return moved(before, metrics.snapshot())

    assert run(main())["handshakes"] == {
        ("denied", 403): 1,
        ("denied", 401): 1,
        ("origin_refused", 403): 1,
        ("invalid", 426): 1,
    }


def test_a_message_over_the_limit() -> None:
    async def main() -> dict[str, Any]:
        async with serving(echo, ws=Watched, ws_max_size=10) as url:
            before = metrics.snapshot()
            async with connect(url) as ws:
                await ws.send("x" * 11)
                with pytest.raises(ConnectionClosed):
                    await ws.recv()
            return await _settled(before, closes={("1009", "server"): 1})

    changes = run(main())
    assert changes["limit_closes"] == {"message_size": 1}
    assert "text_received" not in changes["wire"]


RELEASE: list[asyncio.Event] = []


async def hold(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept, then read nothing until released; then read to the end."""
    await receive()
    await send({"type": "websocket.accept"})
    release = asyncio.Event()
    RELEASE.append(release)
    await asyncio.wait_for(release.wait(), TIMEOUT)
    while (await receive())["type"] != "websocket.disconnect":
        pass


def test_gauges_of_what_open_connections_hold() -> None:
    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        async with serving(hold, ws=Watched) as url:
            before = metrics.snapshot()
            async with connect(url) as ws:
                for _ in range(3):
                    await ws.send("y" * 1000)
                async with asyncio.timeout(TIMEOUT):
                    while moved(before, metrics.snapshot()).get("queued_bytes") != 3000:
                        await asyncio.sleep(0.01)
                (protocol,) = Watched.instances
                protocol.pause_writing()  # as the transport does over its high-water mark
                await asyncio.sleep(0.05)
                paused = moved(before, metrics.snapshot())
                protocol.resume_writing()
                resumed = moved(before, metrics.snapshot())
                RELEASE.pop().set()
                return paused, resumed

    paused, resumed = run(main())
    assert paused["connections_open"] == 1 and paused["queued_bytes"] == 3000
    assert paused["writing_paused"] == 1 and paused["write_paused_seconds"] >= 0.05
    assert "writing_paused" not in resumed and resumed["write_paused_seconds"] >= paused["write_paused_seconds"]


def test_a_closed_connection_is_no_longer_gauged() -> None:
    async def main() -> int:
        async with serving(echo, ws=Watched) as url:
            async with connect(url) as ws:
                await ws.send("z")
                await ws.recv()
            (protocol,) = Watched.instances
            async with asyncio.timeout(TIMEOUT):
                while protocol.transport is not None and not protocol.transport.is_closing():
                    await asyncio.sleep(0.01)
                while protocol in metrics.counters.COUNTERS.live:
                    await asyncio.sleep(0.01)
            return metrics.snapshot().connections_open

    assert run(main()) == 0


def test_a_clients_private_codes_share_one_series() -> None:
    async def main() -> dict[str, Any]:
        async with serving(echo, ws=Watched) as url:
            before = metrics.snapshot()
            for code in (4001, 4002, 3999):
                async with connect(url) as ws:
                    await ws.close(code)
            return await _settled(before, closes={("4xxx", "client"): 2, ("3xxx", "client"): 1})

    assert run(main())["closes"] == {("4xxx", "client"): 2, ("3xxx", "client"): 1}
