"""A user's typed app: what mypy --strict and pyright (strict) must see in fastws' public API.

Never run (``check.sh`` type-checks it; pytest does not collect it): each
``assert_type`` states the type a user's checker must infer, so an ``Any``
or a wrong type leaking out of fastws fails the check.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, ItemsView, KeysView, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any, assert_type

from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute

import fastws.fastapi
from fastws import (
    URL,
    Address,
    Broadcast,
    Headers,
    MutableHeaders,
    QueryParams,
    State,
    WebSocket,
    WebSocketDisconnect,
    WebSocketEndpoint,
    WebSocketState,
    websocket_app,
)
from fastws.broadcast import Event, History, HistoryGap, Position, Subscription
from fastws.http import HttpProtocol
from fastws.protocol import WebSocketProtocol
from fastws.settings import Settings

hub = Broadcast("memory://", max_buffer=1 << 16, overflow="drop-oldest")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncGenerator[None]:
    async with hub as connected:
        assert_type(connected, Broadcast)
        yield


async def room(websocket: WebSocket) -> None:
    """A Starlette endpoint (through ``websocket_app``): connection data, a room, JSON."""
    assert_type(websocket.client_state, WebSocketState)
    await websocket.accept(subprotocol="chat", headers={"x-server": "fastws"})

    # connection data
    assert_type(websocket.url, URL)
    assert_type(websocket.url.path, str)
    assert_type(websocket.url.port, int | None)
    assert_type(websocket.url.is_secure, bool)
    assert_type(websocket.url.include_query_params(page=2), URL)
    assert_type(websocket.url.replace(path="/other"), URL)
    assert_type(websocket.url.replace("ws", "http"), str)
    assert_type(websocket.base_url, URL)
    assert_type(websocket.url_for("room", name="lobby"), URL)
    assert_type(websocket.headers, Headers)
    assert_type(websocket.headers.get("user-agent"), str | None)
    assert_type(websocket.headers.get("user-agent", ""), str)
    assert_type(websocket.headers["host"], str)
    assert_type(websocket.headers.getlist("cookie"), list[str])
    assert_type(websocket.headers.raw, list[tuple[bytes, bytes]])
    assert_type(websocket.query_params, QueryParams)
    assert_type(websocket.query_params.get("room"), str | None)
    assert_type(websocket.query_params.get("room", "lobby"), str)
    assert_type(websocket.query_params.getlist("tag"), list[str])
    assert_type(websocket.query_params.multi_items(), list[tuple[str, str]])
    assert_type(websocket.path_params, dict[str, Any])
    assert_type(websocket.cookies, dict[str, str])
    assert_type(websocket.client, Address | None)
    assert_type(websocket.state, State)
    assert_type(websocket.scope, MutableMapping[str, Any])
    assert_type(websocket["path"], Any)

    copy = websocket.headers.mutablecopy()
    assert_type(copy, MutableHeaders)
    copy["x-room"] = "lobby"
    copy.append("vary", "origin")
    del copy["x-room"]
    assert_type(copy | {"x-more": "1"}, MutableHeaders)

    name = websocket.path_params["name"]
    client = websocket.client
    if client is not None:
        assert_type(client.host, str)
        assert_type(client.port, int)

    async with hub.subscribe(name, websocket) as subscription:
        assert_type(subscription, Subscription)
        async for text in websocket.iter_text():
            assert_type(text, str)
            await hub.publish_json(name, {"text": text, "room": websocket.query_params.get("room", "lobby")})
    await websocket.close(1000, "bye")


async def echo(websocket: WebSocket) -> None:
    """A plain ``websocket_app`` handler: every send and receive."""
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            assert_type(text, str)
            await websocket.send_text(text.upper())
            data = await websocket.receive_bytes()
            assert_type(data, bytes)
            await websocket.send_bytes(data[::-1])
            assert_type(await websocket.receive_json(), Any)
            assert_type(await websocket.receive_json(mode="binary"), Any)
            await websocket.send_json({"ok": True}, mode="binary")
            message = await websocket.receive()
            assert_type(message, MutableMapping[str, Any])
            await websocket.send({"type": "websocket.send", "text": "raw"})
    except WebSocketDisconnect as disconnect:
        assert_type(disconnect.code, int)
        assert_type(disconnect.reason, str)


async def iterate(websocket: WebSocket) -> None:
    await websocket.accept()
    async for blob in websocket.iter_bytes():
        assert_type(blob, bytes)
    async for value in websocket.iter_json():
        assert_type(value, Any)


async def listen(channel: str) -> None:
    """An ``async for`` subscription, without a connection."""
    async with hub.subscribe(channel) as subscription:
        async for event in subscription:
            assert_type(event, Event)
            assert_type(event.message, str | bytes)
        assert_type(await subscription.get(), Event)
    await hub.publish(channel, "hello")
    assert_type(hub.subscribers(channel), int)


async def raw_asgi(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app, as in the README."""
    websocket = WebSocket(scope, receive, send)
    await websocket.accept()
    assert_type(websocket.query_params.get("room", "lobby"), str)


def data_structures() -> None:
    url = URL("wss://example.com:8443/ws?room=1")
    assert_type(url, URL)
    assert_type(url.hostname, str | None)
    assert_type(url.components.netloc, str)
    assert_type(url.remove_query_params("room"), URL)
    assert_type(QueryParams("a=1&b=2")["a"], str)
    assert_type(QueryParams({"a": "1"}).keys(), KeysView[str])
    assert_type(Headers({"host": "example.com"})["host"], str)
    assert_type(QueryParams([("a", "1")]).items(), ItemsView[str, str])
    assert_type(Headers(raw=[(b"host", b"example.com")]).items(), list[tuple[str, str]])
    assert_type(MutableHeaders(headers={"a": "b"}).setdefault("c", "d"), str)


def wire(protocol: WebSocketProtocol, front: HttpProtocol) -> None:
    settings = Settings(ws_write_timeout=5.0, ws_allowed_origins=("https://example.com",))
    assert_type(settings.ws_write_timeout, float)
    assert_type(settings.ws_allowed_origins, tuple[str, ...])
    assert_type(Settings.from_environ({}), Settings)
    assert_type(settings.to_environ(), dict[str, str])

    class Strict(WebSocketProtocol):
        settings = Settings(ws_write_timeout=1.0)

    assert_type(Strict.settings, Settings)
    assert_type(HttpProtocol.settings, Settings)
    assert_type(HttpProtocol.linger, float)
    assert_type(protocol.write_text("hello"), bool)
    assert_type(protocol.is_open(), bool)
    assert_type(protocol.scope, dict[str, Any])
    protocol.close_now(1013, "too slow")
    front.shutdown()


# ------------------------------------------------------------ FastAPI

api = FastAPI()


def get_user(token: str = "guest") -> str:
    return token


@api.websocket("/rooms/{name}")
async def fastapi_room(websocket: fastws.fastapi.WebSocket, name: str, user: Annotated[str, Depends(get_user)]) -> None:
    """FastAPI's endpoint, with one import changed: the parameter is a ``fastws.WebSocket``."""
    assert_type(websocket, WebSocket)
    await websocket.accept()
    assert_type(await websocket.receive_text(), str)
    await websocket.send_json({"room": name, "user": user})


class Echo(WebSocketEndpoint):
    """Starlette's class-based endpoint, on a ``fastws.WebSocket``."""

    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        assert_type(websocket.url, URL)
        await websocket.send_text(str(data))


app = Starlette(
    routes=[
        WebSocketRoute("/rooms/{name}", websocket_app(room), name="room"),
        WebSocketRoute("/echo", websocket_app(echo)),
        WebSocketRoute("/class", Echo),
        Mount("/raw", app=websocket_app(iterate)),
    ],
    lifespan=lifespan,
)


kept = Broadcast("memory://", history=History(size=100, ttl=60.0))


async def resume(websocket: WebSocket, since: str | None) -> None:
    async def gap(error: HistoryGap) -> None:
        assert_type(error.reason, str)
        await websocket.send_json({"reset": error.reason})

    await kept.subscribe("room", websocket, since=since, on_gap=gap)
    position = await kept.publish_json("room", {"a": 1}, position_key="pos")
    assert_type(position, Position | None)
    if position is not None:
        assert_type(position.token, str)
        assert_type(position.offset, int)
        assert_type(Position.parse("room", position.token), Position)
    async with kept.subscribe("room", since=position) as subscription:
        event = await subscription.get()
        assert_type(event.position, Position | None)
