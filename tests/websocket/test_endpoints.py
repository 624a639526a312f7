"""``fastws.WebSocketEndpoint`` and ``websocket_app`` in Starlette and FastAPI routes, over a real socket.

Each app is built twice, once on Starlette's classes and once on fastws',
and served by uvicorn on fastws' wire layer on loopback: the same clients
must see the same messages and close codes, and the endpoints the same
``on_disconnect`` codes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import starlette.endpoints
import starlette.websockets
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Router, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import fastws
from fastws.endpoints import WebSocketEndpoint
from tests.helpers.serving import TIMEOUT, run, serving


def endpoint_class(kind: str, encoding: str | None, log: list[Any]) -> type:
    """An echo endpoint on ``kind``'s ``WebSocketEndpoint`` that logs its websocket's class and close code."""
    base = starlette.endpoints.WebSocketEndpoint if kind == "starlette" else WebSocketEndpoint

    class Echo(base):  # type: ignore[misc,valid-type]
        async def on_connect(self, websocket: Any) -> None:
            log.append(type(websocket))
            await websocket.accept()

        async def on_receive(self, websocket: Any, data: Any) -> None:
            if encoding == "json":
                await websocket.send_json({"echo": data})
            elif isinstance(data, bytes):
                await websocket.send_bytes(data)
            else:
                await websocket.send_text(f"{encoding}:{data}")

        async def on_disconnect(self, websocket: Any, close_code: int) -> None:
            log.append(close_code)

    Echo.encoding = encoding
    return Echo


async def exchange(url: str, messages: list[str | bytes]) -> list[Any]:
    seen: list[Any] = []
    try:
        async with connect(url, open_timeout=TIMEOUT, compression=None) as ws:
            for message in messages:
                await ws.send(message)
                seen.append(await asyncio.wait_for(ws.recv(), TIMEOUT))
    except ConnectionClosed as closed:
        seen.append(("closed", closed.rcvd.code if closed.rcvd else None))
    return seen


CASES = [
    ("json", ['{"a": [1, 2]}', b'{"b": null}']),
    ("json", ["{not json"]),
    ("text", ["hi", b"bytes instead"]),
    ("bytes", [b"\x00\xff", "text instead"]),
    (None, ["plain", b"\x01"]),
]


def outcomes(kind: str, quiet: pytest.LogCaptureFixture) -> tuple[list[Any], list[Any]]:
    log: list[Any] = []
    routes = [WebSocketRoute(f"/{i}", endpoint_class(kind, encoding, log)) for i, (encoding, _) in enumerate(CASES)]
    seen: list[Any] = []

    async def main() -> None:
        async with serving(Starlette(routes=routes)) as url:
            for i, (_, messages) in enumerate(CASES):
                seen.append(await exchange(f"{url}/{i}", messages))
                await asyncio.sleep(0.05)  # on_disconnect has run

    with quiet.at_level("CRITICAL"):  # a wrong message raises in the endpoint, as Starlette's does
        run(main())
    return seen, log


def test_websocket_endpoint_is_starlettes_with_a_fastws_websocket(caplog: pytest.LogCaptureFixture) -> None:
    starlette_seen, starlette_log = outcomes("starlette", caplog)
    fastws_seen, fastws_log = outcomes("fastws", caplog)
    assert fastws_seen == starlette_seen
    assert json.loads(fastws_seen[0][0]) == {"echo": {"a": [1, 2]}} and json.loads(fastws_seen[0][1]) == {
        "echo": {"b": None}
    }
    assert fastws_seen[1] == [("closed", 1003)] and fastws_seen[2] == ["text:hi", ("closed", 1003)]
    codes = [entry for entry in fastws_log if isinstance(entry, int)]
    assert codes == [entry for entry in starlette_log if isinstance(entry, int)]
    assert codes == [1000, 1011, 1011, 1011, 1000]
    assert {entry for entry in fastws_log if isinstance(entry, type)} == {fastws.WebSocket}
    assert {entry for entry in starlette_log if isinstance(entry, type)} == {starlette.websockets.WebSocket}


async def room(websocket: fastws.WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(f"{type(websocket).__module__} {websocket.path_params.get('room')}")
    await websocket.close()


def test_websocket_app_in_every_kind_of_route() -> None:
    starlette_app = Starlette(routes=[WebSocketRoute("/rooms/{room}", fastws.websocket_app(room))])
    router = Router()
    router.add_websocket_route("/rooms/{room}", fastws.websocket_app(room))
    fastapi_app = FastAPI()
    fastapi_app.websocket_route("/rooms/{room}")(fastws.websocket_app(room))
    fastapi_app.router.add_websocket_route("/added/{room}", fastws.websocket_app(room))
    fastapi_app.router.add_websocket_route("/class", endpoint_class("fastws", "text", log := []))

    async def main() -> list[Any]:
        got = []
        for app, path in [(starlette_app, "/rooms/a"), (router, "/rooms/b"), (fastapi_app, "/rooms/c"),
                          (fastapi_app, "/added/d")]:  # fmt: skip
            async with serving(app) as url, connect(url + path, open_timeout=TIMEOUT) as ws:
                got.append(await asyncio.wait_for(ws.recv(), TIMEOUT))
        async with serving(fastapi_app) as url:
            got.append(await exchange(url + "/class", ["x"]))
        return got

    assert run(main()) == ["fastws.websockets a", "fastws.websockets b", "fastws.websockets c",
                           "fastws.websockets d", ["text:x"]]  # fmt: skip
    assert log[0] is fastws.WebSocket


def test_websocket_app_runs_the_handler_with_no_coroutine_of_its_own() -> None:
    # the handler's coroutine is what the router awaits: no frame of ours to resume at each message
    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    awaitable = fastws.websocket_app(room)({"type": "websocket", "path_params": {}}, receive, send)
    assert getattr(awaitable, "cr_code", None) is room.__code__
    awaitable.close()  # type: ignore[attr-defined]
