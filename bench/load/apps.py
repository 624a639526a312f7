"""The applications every ASGI server under test runs.

``plain`` is raw ASGI, ``fastws_app`` uses ``fastws.WebSocket`` and
``starlette_app`` Starlette's own ``WebSocket`` (Starlette is a bench
dependency). On ``/`` each echoes text as text and bytes as bytes, in order.

On ``/fanout`` each joins one room, as a chat or dashboard would: a client's
``join`` is answered ``joined`` once the server counts it in, and its
``pub <text>`` sends ``<text>`` to every member, the way users of these
libraries write it today (a loop of sends). ``bench.load.scenarios.fanout``
drives it.
"""

from __future__ import annotations

import os
from typing import Any

from fastws import WebSocket as FastWebSocket
from fastws import WebSocketDisconnect as FastWebSocketDisconnect
from fastws import websocket_app


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


FANOUT_PATH = "/fanout"


async def _plain_fanout(receive: Any, send: Any, room: set[Any]) -> None:
    try:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            text = message.get("text") or ""
            if text == "join":
                room.add(send)
                await send({"type": "websocket.send", "text": "joined"})
            elif text.startswith("pub "):
                outgoing = {"type": "websocket.send", "text": text[4:]}
                for member in list(room):
                    await member(outgoing)
    finally:
        room.discard(send)


_PLAIN_ROOM: set[Any] = set()


async def plain(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI echo (and fan-out room)."""
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "websocket":
        return None
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    if scope["path"] == FANOUT_PATH:
        return await _plain_fanout(receive, send, _PLAIN_ROOM)
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return None
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def room_member(websocket: Any, room: set[Any]) -> None:
    """The ``/fanout`` loop over a Starlette-style ``WebSocket`` (either library)."""
    try:
        while True:
            text = await websocket.receive_text()
            if text == "join":
                room.add(websocket)
                await websocket.send_text("joined")
            elif text.startswith("pub "):
                payload = text[4:]
                for member in list(room):
                    await member.send_text(payload)
    except Exception:
        return
    finally:
        room.discard(websocket)


_FASTWS_ROOM: set[Any] = set()


async def fastws_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The echo (and fan-out room) with ``fastws.WebSocket``."""
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "websocket":
        return None
    websocket = FastWebSocket(scope, receive, send)
    await websocket.accept()
    if scope["path"] == FANOUT_PATH:
        return await room_member(websocket, _FASTWS_ROOM)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] != "websocket.receive":
                return None
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except FastWebSocketDisconnect:
        return None


def _starlette() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] != "websocket.receive":
                    return
                if message.get("text") is not None:
                    await websocket.send_text(message["text"])
                else:
                    await websocket.send_bytes(message["bytes"])
        except WebSocketDisconnect:
            return

    room: set[WebSocket] = set()

    async def fanout(websocket: WebSocket) -> None:
        await websocket.accept()
        await room_member(websocket, room)

    return Starlette(routes=[WebSocketRoute("/", echo), WebSocketRoute(FANOUT_PATH, fanout)])


starlette_app = _starlette()


# ------------------------------------------------------------- broadcast

_HUBS: dict[bool, Any] = {}


async def broadcast_hub(history: bool = False) -> Any:
    """The process's ``fastws.Broadcast`` (``FASTWS_BROADCAST``, else memory://), connected on first use.

    With ``history``, every channel keeps its last 1,000 messages. The
    servers run with ``--lifespan off``, so the hub connects lazily.
    """
    from fastws.broadcast import Broadcast

    hub = _HUBS.get(history)
    if hub is None:
        options: dict[str, Any] = {}
        if history:  # (imported only then: an older fastws, without History, serves the other apps for a before/after)
            from fastws.broadcast import History

            options["history"] = History(size=1000)
        hub = _HUBS[history] = Broadcast(**options)
    if not hub.connected:
        await hub.connect()
    return hub


async def _broadcast(scope: dict[str, Any], receive: Any, send: Any, history: bool) -> None:
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "websocket" or scope["path"] != FANOUT_PATH:
        return await fastws_app(scope, receive, send)
    hub = await broadcast_hub(history)
    websocket = FastWebSocket(scope, receive, send)
    await websocket.accept()
    await _member(websocket, hub)


async def _member(websocket: Any, hub: Any) -> None:
    """A room member of the fan-out and chat scenarios: ``join`` subscribes, ``pub <text>`` publishes."""
    try:
        while True:
            text = await websocket.receive_text()
            if text == "join":
                await hub.subscribe("room", websocket)
                await websocket.send_text("joined")
            elif text.startswith("pub "):
                await hub.publish("room", text[4:])
    except FastWebSocketDisconnect:
        return None


async def broadcast_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/fanout`` with ``fastws.Broadcast``: ``join`` subscribes, ``pub <text>`` publishes (``/``: the echo)."""
    await _broadcast(scope, receive, send, history=False)


async def broadcast_history_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``broadcast_app`` with history on: the room keeps its last 1,000 messages."""
    await _broadcast(scope, receive, send, history=True)


def _starlette_broadcast() -> Any:
    """``broadcast_app`` written as the docs show it: a Starlette route, ``websocket_app``, ``fastws.WebSocket``."""
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    async def echo(websocket: FastWebSocket) -> None:
        await websocket.accept()
        try:
            async for text in websocket.iter_text():
                await websocket.send_text(text)
        except FastWebSocketDisconnect:
            return

    async def member(websocket: FastWebSocket) -> None:
        await websocket.accept()
        await _member(websocket, await broadcast_hub())

    return Starlette(
        routes=[WebSocketRoute("/", websocket_app(echo)), WebSocketRoute(FANOUT_PATH, websocket_app(member))]
    )


starlette_broadcast_app = _starlette_broadcast()


def _broadcaster_app() -> Any:
    """``/fanout`` on Starlette with ``broadcaster`` (memory://, or ``FASTWS_BROADCAST``): a task per member forwards its queue."""
    import asyncio

    from broadcaster import Broadcast as Broadcaster
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    hub = Broadcaster(os.environ.get("FASTWS_BROADCAST") or "memory://")
    connected: list[bool] = []

    async def forward(websocket: WebSocket, joined: asyncio.Event) -> None:
        async with hub.subscribe("room") as subscriber:
            joined.set()
            async for event in subscriber:  # type: ignore[union-attr]
                await websocket.send_text(event.message)  # type: ignore[union-attr]

    async def fanout(websocket: WebSocket) -> None:
        if not connected:
            connected.append(True)
            await hub.connect()
        await websocket.accept()
        task = None
        try:
            while True:
                text = await websocket.receive_text()
                if text == "join":
                    joined = asyncio.Event()
                    task = asyncio.create_task(forward(websocket, joined))
                    await joined.wait()
                    await websocket.send_text("joined")
                elif text.startswith("pub "):
                    await hub.publish("room", text[4:])
        except WebSocketDisconnect:
            return
        finally:
            if task is not None:
                task.cancel()

    return Starlette(routes=[WebSocketRoute(FANOUT_PATH, fanout)])


async def broadcaster_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``broadcaster``'s app, built on first use (broadcaster is only a bench dependency)."""
    global _BROADCASTER
    if _BROADCASTER is None:
        _BROADCASTER = _broadcaster_app()
    await _BROADCASTER(scope, receive, send)


_BROADCASTER: Any = None
