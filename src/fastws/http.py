"""The HTTP side ``fastws run`` gives uvicorn: ``uvicorn app:app --http fastws.http:HttpProtocol``.

Every connection starts here. A WebSocket upgrade request goes straight to
fastws' wire layer, parsed once, with no HTTP parser, request cycle or
request re-serialisation in between (uvicorn's own HTTP protocols parse
the request, then write it back out as bytes for the ``--ws`` class to
parse again). Anything else (plain HTTP, an upgrade fastws cannot take, a
malformed head) is handed with the bytes read so far to uvicorn's own
HTTP protocol (httptools, or h11 when httptools is missing), which then
serves the connection exactly as it would have from the start.

A connection is upgraded here only when ``--ws`` is fastws' protocol (or
a subclass) and the head is a ``GET`` with ``Upgrade: websocket`` and
``Connection: upgrade``: the request uvicorn would have upgraded.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.server import ServerState

from .protocol import WebSocketProtocol
from .wire import handshake

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Fallback
except ImportError:  # pragma: no cover - httptools is a dependency; h11 comes with uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Fallback  # type: ignore[assignment]

__all__ = ["HttpProtocol"]

_MENTIONS_WEBSOCKET = re.compile(rb"websocket", re.IGNORECASE)


class HttpProtocol(asyncio.Protocol):
    """The first protocol of every connection: upgrades to fastws, the rest to uvicorn's HTTP."""

    __slots__ = ("_head", "app_state", "config", "connections", "loop", "server_state", "transport")

    #: uvicorn's HTTP protocol class that serves whatever is not an upgrade
    fallback: type[asyncio.Protocol] = _Fallback

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.server_state = server_state
        self.app_state = app_state
        self.connections = server_state.connections
        self.loop = _loop or asyncio.get_event_loop()
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self._head = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.connections.add(self)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)  # type: ignore[arg-type]

    def eof_received(self) -> None:
        pass

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: nothing was served yet, so just close."""
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        head = self._head + data
        end = head.find(b"\r\n\r\n")
        if end < 0 and len(head) <= handshake.MAX_REQUEST_SIZE and head.startswith(b"GET "[: len(head)]):
            self._head = head  # may still become an upgrade: wait for the whole head
            return
        self._head = b""
        request = self._upgrade_request(head, end)
        if request is None:
            self._hand_over(self.fallback, head)
            return
        websocket = self._hand_over(cast(type[WebSocketProtocol], self.config.ws_protocol_class), None)
        cast(WebSocketProtocol, websocket).upgrade(request, head[end + 4 :])

    def _upgrade_request(self, head: bytes, end: int) -> handshake.Request | None:
        """The parsed request if it is an upgrade fastws' protocol takes, else None."""
        ws_class = self.config.ws_protocol_class
        if end < 0 or not head.startswith(b"GET ") or not _MENTIONS_WEBSOCKET.search(head, 0, end):
            return None
        if not (isinstance(ws_class, type) and issubclass(ws_class, WebSocketProtocol)):
            return None
        try:
            request = handshake.parse_request(head)
        except handshake.HandshakeError:
            return None  # uvicorn's HTTP protocol answers it as it would
        if request is None or not request.is_websocket_upgrade():
            return None
        return request

    def _hand_over(self, protocol_class: Any, data: bytes | None) -> asyncio.Protocol:
        """Give the connection to a new ``protocol_class``, with ``data`` read so far."""
        self.connections.discard(self)  # type: ignore[arg-type]
        protocol = protocol_class(
            config=self.config, server_state=self.server_state, app_state=self.app_state, _loop=self.loop
        )
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        if data is not None:
            protocol.data_received(data)
        return cast(asyncio.Protocol, protocol)
