"""``WebSocketEndpoint``: a drop-in for ``starlette.endpoints.WebSocketEndpoint``.

The same class-based endpoint (``encoding``, ``on_connect``, ``on_receive``,
``on_disconnect``, ``decode``), with a ``fastws.WebSocket``. It is an ASGI
app, so Starlette's ``WebSocketRoute("/ws", Echo)`` and FastAPI's
``app.router.add_websocket_route("/ws", Echo)`` take it as they take
Starlette's.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, ClassVar, Literal

from ._asgi import Message, Receive, Scope, Send
from ._json import json_loads
from .websockets import WebSocket

__all__ = ["WebSocketEndpoint"]

_NORMAL_CLOSURE = 1000
_UNSUPPORTED_DATA = 1003
_INTERNAL_ERROR = 1011


class WebSocketEndpoint:
    """Subclass and override ``on_connect``, ``on_receive``, ``on_disconnect``.

    ``encoding`` decodes each message for ``on_receive``: ``"text"``,
    ``"bytes"``, ``"json"``, or None for the message's own ``str`` or
    ``bytes``. A message of the wrong kind closes the connection with 1003.
    """

    encoding: ClassVar[Literal["text", "bytes", "json"] | None] = None

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        websocket = WebSocket(self.scope, receive=self.receive, send=self.send)
        await self.on_connect(websocket)
        close_code = _NORMAL_CLOSURE
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.receive":
                    data = await self.decode(websocket, message)
                    await self.on_receive(websocket, data)
                elif message["type"] == "websocket.disconnect":
                    close_code = int(message.get("code") or _NORMAL_CLOSURE)
                    break
        except Exception:
            close_code = _INTERNAL_ERROR
            raise
        finally:
            await self.on_disconnect(websocket, close_code)

    async def decode(self, websocket: WebSocket, message: Message) -> Any:
        """The data ``on_receive`` gets from ``message``, by ``encoding``."""
        if self.encoding == "text":
            if message.get("text") is None:
                await websocket.close(code=_UNSUPPORTED_DATA)
                raise RuntimeError("Expected text websocket messages, but got bytes")
            return message["text"]
        if self.encoding == "bytes":
            if message.get("bytes") is None:
                await websocket.close(code=_UNSUPPORTED_DATA)
                raise RuntimeError("Expected bytes websocket messages, but got text")
            return message["bytes"]
        if self.encoding == "json":
            text = message["text"] if message.get("text") is not None else message["bytes"].decode("utf-8")
            try:
                return json_loads(text)  # the live twin's, as WebSocket.receive_json
            except json.JSONDecodeError:
                await websocket.close(code=_UNSUPPORTED_DATA)
                raise RuntimeError("Malformed JSON data received.") from None
        assert self.encoding is None, f"Unsupported 'encoding' attribute {self.encoding}"
        return message["text"] if message.get("text") is not None else message["bytes"]

    async def on_connect(self, websocket: WebSocket) -> None:
        """Called once the connection is open; accepts it (override to refuse or pick a subprotocol)."""
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Called with each message, decoded by ``encoding``."""

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        """Called once the connection has closed, with its close code (1011 if a handler raised)."""
