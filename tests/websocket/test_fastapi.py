"""``fastws.fastapi``: FastAPI endpoints with a ``fastws.WebSocket``, over a real socket.

One FastAPI app is built twice, once with FastAPI's own ``WebSocket``
annotation and once with ``fastws.fastapi.WebSocket``, and served by
uvicorn on fastws' wire layer on loopback; the same clients must see the
same thing from both: path, query, header, cookie and security parameters,
dependencies (with ``yield``, and overridden), validation errors,
``WebSocketException`` before and after accept, and ``WebSocketDisconnect``
caught by FastAPI's own class.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints'
# annotations at run time, and they name this module's local variables.

import asyncio
import json
from typing import Annotated, Any

import fastapi
import pytest
from fastapi import (
    APIRouter,
    Cookie,
    Depends,
    FastAPI,
    Header,
    Query,
    Security,
    WebSocketDisconnect,
    WebSocketException,
)
from fastapi.security import APIKeyHeader
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import fastws
import fastws.fastapi
from tests.helpers.serving import TIMEOUT, run, serving


def make_app(kind: str) -> tuple[FastAPI, list[Any], Any]:
    """The chat app, its endpoint's ``websocket`` annotated with ``kind``'s ``WebSocket``; its events; its user."""
    WebSocket = fastapi.WebSocket if kind == "fastapi" else fastws.fastapi.WebSocket
    events: list[Any] = []
    api_key = APIKeyHeader(name="x-api-key", auto_error=False)

    def get_user(key: Annotated[str | None, Security(api_key)]) -> str:
        if key != "secret":
            raise WebSocketException(code=1008, reason="bad key")
        return "alice"

    async def get_db() -> Any:
        events.append("db open")
        try:
            yield "db"
        finally:
            events.append("db closed")

    router = APIRouter()

    @router.websocket("/rooms/{room}")
    async def chat(
        websocket: WebSocket,
        room: str,
        user: Annotated[str, Depends(get_user)],
        db: Annotated[str, Depends(get_db)],
        limit: Annotated[int, Query(ge=1)] = 10,
        x_client: Annotated[str | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> None:
        events.append(type(websocket))
        await websocket.accept()
        await websocket.send_json({"room": room, "user": user, "db": db, "limit": limit, "client": x_client,
                                   "session": session, "path": websocket.url.path})  # fmt: skip
        try:
            while True:
                text = await websocket.receive_text()
                if text == "raise":
                    raise WebSocketException(code=1008, reason="raised after accept")
                await websocket.send_text(f"{user}@{room}: {text}")
        except WebSocketDisconnect as disconnect:  # FastAPI's (Starlette's) class
            events.append(("disconnect", disconnect.code))

    app = FastAPI()
    app.include_router(router, prefix="/api")
    return app, events, get_user


GOOD = {"x-api-key": "secret", "x-client": "t1", "cookie": "session=s1"}


async def talk(url: str, headers: dict[str, str], texts: list[str]) -> list[Any]:
    """What a client sees: the first message and the replies, then how it ended."""
    seen: list[Any] = []
    try:
        async with connect(url, additional_headers=headers, open_timeout=TIMEOUT) as ws:
            seen.append(await asyncio.wait_for(ws.recv(), TIMEOUT))
            for text in texts:
                await ws.send(text)
                seen.append(await asyncio.wait_for(ws.recv(), TIMEOUT))
    except InvalidStatus as refused:
        seen.append(("refused", refused.response.status_code))
    except ConnectionClosed as closed:
        seen.append(("closed", closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else None))
    return seen


CASES = {
    "every kind of parameter": ("/api/rooms/lobby?limit=5", GOOD, ["hi", "there"]),
    "defaults": ("/api/rooms/lobby", {"x-api-key": "secret"}, ["hi"]),
    "security refuses": ("/api/rooms/lobby", {"x-api-key": "wrong"}, []),
    "validation refuses": ("/api/rooms/lobby?limit=0", GOOD, []),
    "raised after accept": ("/api/rooms/lobby", GOOD, ["raise"]),
}


def outcomes(kind: str) -> tuple[dict[str, list[Any]], list[Any]]:
    app, events, _ = make_app(kind)
    seen: dict[str, list[Any]] = {}

    async def main() -> None:
        async with serving(app) as url:
            for name, (path, headers, texts) in CASES.items():
                seen[name] = await talk(url + path, headers, texts)
            await asyncio.sleep(0.1)  # the last endpoint's exit

    run(main())
    return seen, events


def test_an_endpoint_gets_a_fastws_websocket_and_behaves_as_fastapis_own() -> None:
    fastapi_seen, fastapi_events = outcomes("fastapi")
    fastws_seen, fastws_events = outcomes("fastws")
    assert fastws_seen == fastapi_seen
    first = fastws_seen["every kind of parameter"]
    assert json.loads(first[0]) == {"room": "lobby", "user": "alice", "db": "db", "limit": 5, "client": "t1",
                                    "session": "s1", "path": "/api/rooms/lobby"}  # fmt: skip
    assert first[1:] == ["alice@lobby: hi", "alice@lobby: there"]
    assert fastws_seen["security refuses"] == [("refused", 403)]
    assert fastws_seen["validation refuses"] == [("refused", 403)]
    assert fastws_seen["raised after accept"][-1] == ("closed", 1008, "raised after accept")
    # The endpoint's object, and the events, one connection after another.
    assert [e for e in fastws_events if isinstance(e, type)] == [fastws.WebSocket] * 3
    assert [e for e in fastapi_events if isinstance(e, type)] == [fastapi.WebSocket] * 3
    strip = [e for e in fastws_events if not isinstance(e, type)]
    assert strip == [e for e in fastapi_events if not isinstance(e, type)]
    assert ("disconnect", 1000) in strip and strip.count("db open") == strip.count("db closed")


def test_dependency_overrides_apply() -> None:
    app, _, get_user = make_app("fastws")
    app.dependency_overrides[get_user] = lambda: "bob"

    async def main() -> list[Any]:
        async with serving(app) as url:
            return await talk(url + "/api/rooms/x", {}, ["hi"])

    assert run(main())[1] == "bob@x: hi"


def test_a_class_annotation_is_a_clear_error_at_startup() -> None:
    app = FastAPI()
    with pytest.raises(TypeError, match=r"from fastws\.fastapi import WebSocket"):

        @app.websocket("/ws")
        async def endpoint(websocket: fastws.WebSocket) -> None: ...


def test_a_websocket_app_under_app_websocket_is_a_clear_error_at_startup() -> None:
    async def chat(websocket: fastws.WebSocket) -> None: ...

    app = FastAPI()
    with pytest.raises(TypeError, match="is an ASGI app, not a FastAPI endpoint"):
        app.websocket("/ws")(fastws.websocket_app(chat))


def test_fastws_disconnects_are_starlettes() -> None:
    import starlette.websockets

    assert issubclass(fastws.WebSocketDisconnect, WebSocketDisconnect)
    assert issubclass(fastws.WebSocketDisconnected, starlette.websockets.WebSocketDisconnected)
