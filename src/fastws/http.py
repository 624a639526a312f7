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
``Connection: upgrade``: the request uvicorn would have upgraded. When
``--ws`` is fastws' protocol, a connection is that protocol from its first
byte (``HttpProtocol(...)`` makes one, which reads the head by the rules
below and gives the connection back to an ``HttpProtocol`` for whatever is
not such an upgrade: ``fastws._front``): one object per WebSocket
connection, not two, and the head's deadline on one wheel per server
rather than a loop timer each (at most 1/16 of ``http_head_timeout`` late).

The first request head of every connection is bounded here, whatever it
asks for (``fastws.settings``): it must arrive whole within
``http_head_timeout`` (else 408 and close: slowloris), hold at most
``http_max_head_size`` bytes and ``http_max_headers`` header lines (else
431), and no control byte, DEL, or CR or LF outside a CRLF (else 400,
at once, without waiting for the rest).

On shutdown, a connection whose request head has not arrived whole is not
dropped unanswered: within ``linger`` seconds, a head that completes gets
503 (and ``Retry-After``), so that the client goes to another server, and
so does one still incomplete then; a connection that has sent nothing at
all by then is closed (a response to no request could be read as the
answer to the next one).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.server import ServerState

from ._front import websocket_upgrade
from .metrics import worker as metrics_worker
from .metrics.counters import COUNTERS
from .protocol import WebSocketProtocol
from .settings import Settings
from .timer_wheel import TimerWheel, wheel_of
from .wire import handshake

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Fallback
except ImportError:  # pragma: no cover - httptools is a dependency; h11 comes with uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Fallback  # type: ignore[assignment]

__all__ = ["HttpProtocol"]

_logger = logging.getLogger("uvicorn.error")


class HttpProtocol(asyncio.Protocol):
    """The first protocol of every connection: upgrades to fastws, the rest to uvicorn's HTTP.

    Called as uvicorn calls it (``config``, ``server_state``, ``app_state``),
    it gives the server's ``--ws`` protocol itself, waiting for the request
    head, when that is fastws' protocol (or a subclass); an ``HttpProtocol``
    otherwise.
    """

    __slots__ = (
        "_answered",
        "_draining",
        "_head",
        "_timer",
        "app_state",
        "config",
        "connections",
        "loop",
        "server_state",
        "transport",
    )

    #: uvicorn's HTTP protocol class that serves whatever is not an upgrade
    fallback: type[asyncio.Protocol] = _Fallback
    #: the head's limits and deadline (``FASTWS_*`` environment variables); subclass to change
    settings: Settings = WebSocketProtocol.settings
    #: seconds an answered connection keeps reading (and dropping) what the peer still sends
    #: before it closes, so that the peer reads the answer rather than a reset
    linger = 2.0

    def __new__(
        cls,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> Any:  # the --ws protocol, or an HttpProtocol
        door = _door(cls, config, server_state, app_state, _loop)
        if door is None:
            return super().__new__(cls)
        protocol = door.ws_class(config=config, server_state=server_state, app_state=app_state, _loop=_loop)
        protocol.await_head(door)
        return protocol

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
        metrics_worker.start(self.loop, self.settings.metrics_interval)  # fastws run --metrics: at the first
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self._head = b""
        self._timer: asyncio.TimerHandle | None = None  # http_head_timeout, then the linger
        self._answered = False
        self._draining = False  # the server shuts down: a head that completes gets 503

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.connections.add(self)  # type: ignore[arg-type]
        timeout = self.settings.http_head_timeout
        if timeout:
            self._timer = self.loop.call_later(timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._stop_timer()

    def eof_received(self) -> None:
        pass

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: answer a head still on its way with 503, rather than drop it."""
        if self._answered or self.transport.is_closing():
            return  # an answer is on its way, then the close
        self._draining = True
        self._stop_timer()  # a moment for the head on its way: not the whole http_head_timeout
        self._timer = self.loop.call_later(self.linger, self._drain_timed_out)

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # refused: what follows is dropped
        head = self._head + data
        settings = self.settings
        try:
            end = handshake.check_head(head, settings.http_max_head_size, settings.http_max_headers)
        except handshake.HandshakeError as error:
            _logger.warning("Invalid HTTP request received: %s", error.reason)
            COUNTERS.handshake("invalid", error.status)
            self._answer(error.response(self.server_state.default_headers))
            return
        if end < 0:
            self._head = head  # wait for the whole head
            return
        if self._draining:
            self._unavailable()
            return
        self._head = b""
        request = self._upgrade_request(head, end)
        if request is None:
            self._hand_over(self.fallback, head)
            return
        websocket = self._hand_over(cast(type[WebSocketProtocol], self.config.ws_protocol_class), None)
        cast(WebSocketProtocol, websocket).upgrade(request, head[end + 4 :])

    def _upgrade_request(self, head: bytes, end: int) -> handshake.Request | None:
        """The parsed request (its head ends at ``end``) if it is an upgrade fastws' protocol takes, else None."""
        ws_class = self.config.ws_protocol_class
        if not (isinstance(ws_class, type) and issubclass(ws_class, WebSocketProtocol)):
            return None
        return websocket_upgrade(head, end)  # data_received checked it

    def _hand_over(self, protocol_class: Any, data: bytes | None) -> asyncio.BaseProtocol:
        """Give the connection to a new ``protocol_class``, with ``data`` read so far."""
        self._stop_timer()
        self.connections.discard(self)
        protocol = protocol_class(
            config=self.config, server_state=self.server_state, app_state=self.app_state, _loop=self.loop
        )
        _give(self.transport, protocol, data)
        return cast(asyncio.BaseProtocol, protocol)

    def _unavailable(self) -> None:
        COUNTERS.handshake("unavailable", 503)
        headers = [*self.server_state.default_headers, (b"retry-after", b"1")]
        self._answer(handshake.http_response(503, headers, b"server shutting down\n"))

    def _drain_timed_out(self) -> None:
        self._timer = None
        if self._head:
            self._unavailable()  # a request began: answer it, though it did not end
        else:
            self.transport.close()

    def _head_timed_out(self) -> None:
        self._timer = None
        if not self._head:  # nothing was asked: a response to no request could be read as the next one's answer
            self._answered = True
            self.transport.close()
            return
        COUNTERS.handshake("timed_out", 408)
        self._answer(handshake.http_response(408, list(self.server_state.default_headers), b"request head timeout\n"))

    def _answer(self, response: bytes) -> None:
        """Answer the head with an HTTP error, then close: what the peer still sends is dropped."""
        self._stop_timer()
        self._head = b""
        self._answered = True
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(response)
        if not transport.can_write_eof():
            transport.close()
            return
        # Closing a socket with unread input resets it, and a reset can destroy the answer
        # before the peer reads it: half-close, drop its bytes for a moment, then close.
        transport.write_eof()
        self._timer = self.loop.call_later(self.linger, transport.close)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _Door:
    """One server's way in for WebSocket upgrades (``fastws._front.Front``): what its ``--ws`` protocol,
    taking connections from their first byte, needs of ``HttpProtocol`` (a subclass of it: ``front``)."""

    __slots__ = (
        "__weakref__", "_server_state", "app_state", "config", "front", "head_deadlines", "head_timeout", "loop",
        "max_head_size", "max_headers", "ws_class",
    )  # fmt: skip

    def __init__(
        self,
        front: type[HttpProtocol],
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self.front = front
        self.config = config
        # weakly: the door is kept for as long as its server's state (``_doors``), and must not keep it
        self._server_state = weakref.ref(server_state)
        self.app_state = app_state
        self.loop = loop  # as uvicorn gives it (None: the running loop)
        self.ws_class = cast(type[WebSocketProtocol], config.ws_protocol_class)
        settings = front.settings
        self.max_head_size = settings.http_max_head_size
        self.max_headers = settings.http_max_headers
        self.head_timeout = settings.http_head_timeout
        self.head_deadlines = (
            wheel_of(_wheels, server_state, loop or asyncio.get_event_loop(), self.head_timeout / 16)
            if self.head_timeout
            else None
        )  # ticks of 1/16 of the server's first front's deadline

    @property
    def server_state(self) -> ServerState:
        """The server's state: alive while the door is used (each use is for one of the server's connections)."""
        return cast(ServerState, self._server_state())

    def _front(self, transport: asyncio.Transport, data: bytes) -> HttpProtocol:
        """An ``HttpProtocol`` of ``front`` that has the connection, and has read ``data``."""
        protocol = object.__new__(self.front)  # not front(...): that would give the --ws protocol again
        protocol.__init__(self.config, self.server_state, self.app_state, self.loop)  # type: ignore[misc]
        _give(transport, protocol, data or None)
        return protocol

    def hand_over(self, transport: asyncio.Transport, data: bytes) -> None:
        # what HttpProtocol does with a whole head that is no upgrade, without making one first
        fallback = self.front.fallback(
            config=self.config, server_state=self.server_state, app_state=self.app_state, _loop=self.loop
        )  # type: ignore[call-arg]
        _give(transport, fallback, data)

    def refuse(self, transport: asyncio.Transport, data: bytes) -> None:
        self._front(transport, data)

    def time_out(self, transport: asyncio.Transport, data: bytes) -> None:
        self._front(transport, data)._head_timed_out()

    def drain(self, transport: asyncio.Transport, data: bytes) -> None:
        self._front(transport, data).shutdown()


def _give(transport: asyncio.Transport, protocol: asyncio.Protocol | WebSocketProtocol, data: bytes | None) -> None:
    """Make ``protocol`` the connection's, as from its start, then give it ``data`` (read so far)."""
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    if data is not None:
        protocol.data_received(data)


#: each server's door, by its ``ServerState``: it goes with the server (and its app, config and loop with it)
_doors: weakref.WeakKeyDictionary[ServerState, _Door] = weakref.WeakKeyDictionary()
#: the last door made or used, looked at first (one server per process is the rule), held weakly: ``_doors`` keeps it
_last_door: weakref.ReferenceType[_Door] | None = None
#: each server's wheel of head deadlines, by its ``ServerState``: it goes with the server
_wheels: weakref.WeakKeyDictionary[ServerState, TimerWheel] = weakref.WeakKeyDictionary()


def _door(
    front: type[HttpProtocol],
    config: Config,
    server_state: ServerState,
    app_state: dict[str, Any],
    loop: asyncio.AbstractEventLoop | None,
) -> _Door | None:
    """The door of this server for ``front``, if its ``--ws`` is fastws' protocol; else None."""
    global _last_door
    door = None if _last_door is None else _last_door()
    if (
        door is not None
        and door.server_state is server_state
        and door.front is front
        and door.config is config
        and door.app_state is app_state
        and door.loop is loop
    ):
        return door
    if not config.loaded:
        config.load()
    ws_class = config.ws_protocol_class
    if not (isinstance(ws_class, type) and issubclass(ws_class, WebSocketProtocol)):
        return None
    door = _doors[server_state] = _Door(front, config, server_state, app_state, loop)
    _last_door = weakref.ref(door)
    return door
