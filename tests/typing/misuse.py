"""Misuse of fastws' public API that a user's checker must flag.

Never run. Each wrong line carries the error mypy gives (``# type:
ignore[code]``) and the rule pyright reports (``# pyright: ignore[rule]``);
``check.sh`` runs both with unused ignores reported as errors, so a line
that a checker stops flagging (an ``Any`` leaking out of fastws) fails the
check.
"""

from __future__ import annotations

import fastws.fastapi
from fastws import URL, Broadcast, Headers, QueryParams, WebSocket, websocket_app
from fastws.settings import Settings


async def handler(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await websocket.send_bytes("text")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await websocket.no_such_method()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    await websocket.close(reason=1000)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await websocket.accept(subprotocol=b"chat")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    number: int = await websocket.receive_text()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    text: str = await websocket.receive_bytes()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    port: int = websocket.url.port  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    host: str = websocket.headers.get("host")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    room: int = websocket.query_params["room"]  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(websocket.url.no_such_component)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    websocket.headers["x-new"] = "1"  # type: ignore[index]  # pyright: ignore[reportIndexIssue]
    websocket.url = URL("/elsewhere")  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    cookie: int = websocket.cookies["session"]  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(websocket.client.host)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
    async for chunk in websocket.iter_text():
        chunk.decode()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    print(number, text, port, host, room, cookie)


async def hub_misuse(hub: Broadcast) -> None:
    await hub.publish("room", 42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await hub.publsh("room", "typo")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    hub.subscribers(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    hub.subscribe("room", since=17)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def data_misuse() -> None:
    URL(42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Headers(raw=[("host", "example.com")])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    QueryParams("a=1").getlist("a").upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    Settings(ws_write_timeout="soon")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def not_a_handler(websocket: WebSocket) -> None: ...


websocket_app(not_a_handler)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def fastapi_misuse(websocket: fastws.fastapi.WebSocket) -> None:
    await websocket.send_text(123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await websocket.no_such_method()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
