"""The echo applications every ASGI server under test runs.

``plain`` is raw ASGI, ``fastws_app`` uses ``fastws.WebSocket`` and
``starlette_app`` Starlette's own ``WebSocket`` (Starlette is a bench
dependency). Each echoes text as text and bytes as bytes, in order.
"""

from __future__ import annotations

from typing import Any


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def plain(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI echo."""
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "websocket":
        return None
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return None
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def fastws_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The echo with ``fastws.WebSocket``."""
    from fastws import WebSocket, WebSocketDisconnect

    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "websocket":
        return None
    websocket = WebSocket(scope, receive, send)
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] != "websocket.receive":
                return None
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect:
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

    return Starlette(routes=[WebSocketRoute("/", echo)])


starlette_app = _starlette()
