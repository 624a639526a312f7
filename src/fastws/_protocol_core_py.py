# cython: annotation_typing=False
"""``ProtocolCore``, the body of ``fastws.protocol.WebSocketProtocol``: one source, two builds.

Everything a WebSocket connection on uvicorn does, from the upgrade request
to the close (``fastws.protocol`` says what, and what it honours); its task
runs the app through ``fastws._app_run.AppRun``. ``WebSocketProtocol`` is
this class as uvicorn loads it (an ``asyncio.BufferedProtocol``, which users
may subclass to change ``settings``).

This file is the pure twin, and also the source of the compiled one: the
build compiles it with Cython as ``fastws._protocol_core_c``, typed by
``_protocol_core_c.pxd`` (aiohttp's way), so the twins cannot drift. The
``.pxd`` makes ``ProtocolCore`` a ``cdef class``: its fields are C fields,
the calls between its methods C calls, the states C globals. Annotations
are for type checkers only (``annotation_typing=False``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import random
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import unquote

from uvicorn.config import Config
from uvicorn.logging import TRACE_LOG_LEVEL
from uvicorn.protocols.utils import (
    ClientDisconnected,
    get_client_addr,
    get_path_with_query_string,
    is_ssl,
)
from uvicorn.server import ServerState

from . import _read_buffer
from ._app_run import AppRun
from ._front import Front, websocket_upgrade
from ._next_event import SENT, ReadyEvent, Sent, pending, ready, settle
from ._protocol_state import PAST_CLOSE, State
from ._read_buffer import this_thread
from ._socket_transport import SocketTransport
from .connection import CONNECTION_EXTENSION, Fanout
from .handoff import Handoff
from .metrics import worker as metrics_worker
from .metrics.counters import COUNTERS, Outcome, Side
from .proxy_headers import app_for
from .settings import Settings
from .sockets import ascii_view, reset_on_close, send_last, send_now, send_parts
from .timer_wheel import TimerWheel, wheel_of
from .wire import codec, deflate, handshake
from .wire.events import Close, Fail, Ping, Pong
from .wire.rfc6455 import CloseCode

__all__ = ["KEEPALIVE_TICKS", "LARGE_MESSAGE", "NO_FD", "TASK_NAME", "ProtocolCore", "deliver_frame_to"]

_logger = logging.getLogger("uvicorn.error")

_RECEIVE = "websocket.receive"
_DISCONNECT = "websocket.disconnect"


# the states as module names, as websockets has them: a global is read faster than an enum's member
CONNECTING = State.CONNECTING
RESPONDING = State.RESPONDING
REFUSED = State.REFUSED
OPEN = State.OPEN
CLOSING = State.CLOSING
SERVER_CLOSING = State.SERVER_CLOSING
PEER_GONE = State.PEER_GONE
CLOSED = State.CLOSED

#: From this size (bytes, or ASCII characters) a message goes out as its header then itself
#: (``write_parts``), not copied into a frame first.
LARGE_MESSAGE = 64 * 1024
#: ``ProtocolCore._fd`` before the socket was looked at (at the first message written)
_FD_UNKNOWN = -2
#: ``_tick`` when the connection has no deadline on a wheel
_NO_TICK = -1
#: the read budget once the app is past its close: what is parsed then is dropped, not queued
_NO_BUDGET = 2**63 - 1
#: ``ProtocolCore._fd`` where the socket may not be written past the transport (TLS, no socket)
NO_FD = -1

#: the transports whose write() only buffers what the socket has not taken, so that a frame may
#: go to the socket itself while they hold nothing (``write_frame``); any other goes through write()
_DIRECT_TRANSPORTS = frozenset({
    "uvloop.loop.TCPTransport", "uvloop.loop.UnixTransport", "asyncio.selector_events._SelectorSocketTransport",
})  # fmt: skip
#: for each transport class seen: whether it is one of ``_DIRECT_TRANSPORTS`` (its name is made once,
#: not at every connection); a handful of classes, started again if ever more than 64
_direct_kinds: dict[type, bool] = {}
_POSIX = os.name == "posix"
#: the protocol a loop's transport is left with once its connection moved to a ``SocketTransport``: its
#: ``connection_lost``, called when the transport is aborted, is nothing to the connection
_LET_GO = asyncio.Protocol()


class _ScopeKeys:
    """The keys of every scope: the attributes of one instance, whose ``__dict__`` they share."""


def _future_kwargs(loop: asyncio.AbstractEventLoop) -> dict[str, Any] | None:
    """The keyword arguments with which ``asyncio.Future`` makes what ``loop.create_future()`` does, or None
    (the loop's own is not asyncio's)."""
    owner = next(kind for kind in type(loop).__mro__ if "create_future" in vars(kind))
    plain = f"{owner.__module__}.{owner.__qualname__}" in _PLAIN_FUTURE_LOOPS
    return {"loop": loop} if plain else None


class ServerShare:
    """What every connection of one server holds the same, held once: its config and state, its limits,
    its keepalive wheel (a field each in every connection would be 96 bytes of each idle one)."""

    __slots__ = (
        "config", "connections", "future_kwargs", "handoff", "keepalive", "loop", "max_queue", "max_queue_bytes",
        "server_state", "settings", "tasks",
    )  # fmt: skip

    def __init__(
        self, config: Config, server_state: ServerState, loop: asyncio.AbstractEventLoop, settings: Settings
    ) -> None:
        self.config = config
        #: weakly: the share is kept by its ``ServerState`` in ``_shares``, which a strong reference would keep
        #: for ever (its ``default_headers`` are read from it at each use: uvicorn renews them every second)
        self.server_state = weakref.ref(server_state)
        self.loop = loop
        self.settings = settings
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.max_queue: int = max(1, config.ws_max_queue)
        self.max_queue_bytes: int = settings.ws_max_queue_bytes
        #: one loop timer for every connection's keepalive pings, not one each (they add up when idle); None
        #: without pings (``ws_ping_interval`` unset or 0)
        interval = config.ws_ping_interval
        self.keepalive: TimerWheel | None = TimerWheel(loop, interval / KEEPALIVE_TICKS) if interval else None
        self.future_kwargs = _future_kwargs(loop)  # how receive() makes a future
        #: open connections waiting to move to fastws' own transport (``ws_own_socket_after``); None when they
        #: move at the accept, or never (``ws_own_socket`` off)
        after = settings.ws_own_socket_after
        self.handoff: Handoff | None = Handoff(loop, after) if settings.ws_own_socket and after else None

    def default_headers(self) -> list[tuple[bytes, bytes]]:
        """The server's headers for every response (uvicorn's ``server``, ``date`` and ``--header`` ones), now."""
        server_state = self.server_state()
        return [] if server_state is None else server_state.default_headers

    def serves(self, config: Config, loop: asyncio.AbstractEventLoop, settings: Settings) -> bool:
        """Whether a connection made with these is this share's (a ``Config`` may serve again, on a new loop)."""
        return self.config is config and self.loop is loop and self.settings is settings


def _share_of(
    config: Config, server_state: ServerState, loop: asyncio.AbstractEventLoop, settings: Settings
) -> ServerShare:
    """The ``ServerShare`` of ``server_state``'s connections, made at the first (again if they differ)."""
    share = _shares.get(server_state)
    if share is None or not share.serves(config, loop, settings):
        share = _shares[server_state] = ServerShare(config, server_state, loop, settings)
    return share


def _scope_template() -> dict[str, Any]:
    holder = _ScopeKeys()
    for key in (
        "type", "asgi", "http_version", "scheme", "server", "client", "root_path", "path", "raw_path", "query_string",
        "headers", "subprotocols", "state", "extensions",
    ):  # fmt: skip
        setattr(holder, key, None)
    return holder.__dict__


#: A scope's keys, in order: each connection's scope is a copy of this dict, its values then set.
#: An instance's ``__dict__`` (PEP 412): its copies share one table of keys and hold only their
#: values (136 bytes less per connection than a dict of their own, 304 less than a dict display,
#: which compiled, over 8 items, gets CPython's general table); a key an app adds goes to that
#: table too while it has room (30 keys), and past it the scope gets a table of its own.
_SCOPE = _scope_template()


class _Shared(dict):  # type: ignore[type-arg]
    """A dict every connection's scope holds, the same object: read-only, since a change would
    reach every connection. A copy (``copy``, ``deepcopy``, ``pickle``, ``dict(...)``) is a plain dict."""

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("this dict of the scope is shared by every connection: read-only (change a copy)")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = __ior__ = _read_only  # type: ignore[assignment]

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        return copy.deepcopy(dict(self), memo)

    def __reduce__(self) -> tuple[type, tuple[dict[Any, Any]]]:
        return dict, (dict(self),)


#: the ``websocket.http.response`` extension's fields: none
_NO_FIELDS = _Shared()

#: the items of a scope that are the same for every connection of a protocol class and ASGI version,
#: by (class, version): its ``asgi`` (184 bytes) and its ``extensions`` (read-only, 184 + 64 bytes); a
#: connection holds its scope while it lives; a handful, started again if ever more than 64
_SHARED_ITEMS: dict[tuple[type, str], tuple[dict[str, str], _Shared]] = {}


#: every connection's task is named this (one string, not a "Task-<n>" made for each: 104 bytes
#: less per connection on Python 3.11, as many on 3.12 and 3.13)
TASK_NAME = "fastws.websocket"

#: keepalive pings are due in ticks of ws_ping_interval / KEEPALIVE_TICKS (at most 3 % late)
KEEPALIVE_TICKS = 32


#: each server's share (its keepalive wheel in it) by its ``ServerState``, and its permessage-deflate idle
#: checks' wheel (``ws_deflate_idle``) by its ``Config``: they go with the server (held by the loop instead,
#: they would keep the loop their connections refer to, for ever)
_shares: weakref.WeakKeyDictionary[ServerState, ServerShare] = weakref.WeakKeyDictionary()
#: the loops whose ``create_future`` is ``asyncio.Future(loop=self)``, by the class that defines it: for
#: them, ``receive`` makes its futures itself (``_next_event.pending``), with one keyword dict per server
_PLAIN_FUTURE_LOOPS = frozenset({"uvloop.loop.Loop", "asyncio.base_events.BaseEventLoop"})
_deflate_wheels: weakref.WeakKeyDictionary[Config, TimerWheel] = weakref.WeakKeyDictionary()


_T = TypeVar("_T")
#: one copy of each server address (a listening socket has one) and client host (behind a proxy,
#: every client has the same) for all the connections that hold it; each bounded, started again
#: when full (sys.intern is not bounded, and CPython 3.12.0-3.12.5 never free what it holds)
_server_addresses: dict[Any, Any] = {}
_client_hosts: dict[Any, Any] = {}


def _shared_copy(copies: dict[Any, Any], value: _T, limit: int) -> _T:
    """``value``, or the equal one an earlier connection holds (kept in ``copies``, at most ``limit``)."""
    found = copies.get(value)
    if found is None:
        if len(copies) >= limit:
            copies.clear()
        found = copies[value] = value
    return found


def _addresses(transport: asyncio.BaseTransport) -> tuple[tuple[str, int | None] | None, tuple[str, int] | None]:
    """The scope's ``server`` and ``client``: what uvicorn's ``get_local_addr`` and ``get_remote_addr`` give.

    Read from ``sockname`` and ``peername``, as uvicorn does. The server's address is one
    tuple for all its connections (a listening socket has one), and a client host's string
    one copy for all its connections (all of them, behind a proxy).
    """
    local = transport.get_extra_info("sockname")
    if isinstance(local, tuple):
        server: tuple[str, int | None] | None = (str(local[0]), int(local[1]))
    elif isinstance(local, str):
        server = (local, None)  # a Unix socket's path
    else:
        server = None
    if server is not None:
        server = _shared_copy(_server_addresses, server, 64)
    peer = transport.get_extra_info("peername")
    if not isinstance(peer, tuple):
        return server, None
    return server, (_shared_copy(_client_hosts, str(peer[0]), 4096), int(peer[1]))


def _shared_items(cls: type, asgi_version: str) -> tuple[dict[str, str], _Shared]:
    """The ``asgi`` and ``extensions`` items of the scopes of ``cls``'s connections (see ``_SHARED_ITEMS``)."""
    extensions: dict[str, Any] = {"websocket.http.response": _NO_FIELDS}
    if cls.send is ProtocolCore.send:  # type: ignore[attr-defined]  # fastws.WebSocket may write through us directly
        # the class, not the connection: the protocol holds its scope, so the connection here
        # would be a reference cycle that keeps it (and its buffers) alive until a cyclic collection
        extensions[CONNECTION_EXTENSION] = cls
    if len(_SHARED_ITEMS) >= 64:
        _SHARED_ITEMS.clear()
    items = ({"version": asgi_version, "spec_version": "2.4"}, _Shared(extensions))
    _SHARED_ITEMS[cls, asgi_version] = items
    return items


class ProtocolCore:
    """One WebSocket connection on uvicorn, from the upgrade request to the close."""

    __slots__ = (  # tens of thousands live at once: no per-instance dict
        "_buffered", "_close_timer", "_denial", "_disconnect_code", "_drained", "_extensions", "_fd", "_front",
        "_key", "_owed_pong", "_queue", "_queued_bytes", "_read_paused", "_request", "_tick", "_waiter",
        "_write_timer", "app", "app_state", "client", "conn", "fanout", "last_ping_rtt", "pending_ping_payload",
        "ping_sent_at", "pong_timer", "scheme", "scope", "server", "share", "state", "transport",
    )  # fmt: skip

    logger = _logger

    #: limits, deadlines, deflate's memory and the Origin policy: the defaults here, the ``FASTWS_*``
    #: environment variables in ``WebSocketProtocol``
    settings = Settings()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.app = config.loaded_app
        loop = _loop or asyncio.get_event_loop()
        metrics_worker.start(loop, self.settings.metrics_interval)  # fastws run --metrics: at the first
        #: the server's config, state, limits and keepalive wheel: one object for all its connections
        self.share = _share_of(config, server_state, loop, self.settings)
        self.app_state = app_state

        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        #: the socket's descriptor, for messages written past the loop's write path (``write_frame``):
        #: looked up at the first message, ``NO_FD`` where it cannot be used (TLS, no socket)
        self._fd = _FD_UNKNOWN
        #: the transport may hold bytes of ours: they were handed to its ``write`` and it has not been seen
        #: empty since (until then, written past it with no look at its buffer: one call less per frame)
        self._buffered = False
        self.scheme: Literal["ws", "wss"] = "ws"
        self.scope: dict[str, Any] = {}

        self.conn = codec.Connection(max_size=config.ws_max_size)
        #: the connection's lifecycle (see ``State``); each transition is made in one place
        self.state = CONNECTING
        self._disconnect_code: int | None = None  # told to the app, once
        #: events for the app's receive(), while it is not waiting; none held when empty (an idle
        #: connection's empty deque would be ~700 bytes)
        self._queue: deque[dict[str, Any]] | tuple[()] = ()
        self._queued_bytes = 0  # of the messages in _queue
        self._waiter: asyncio.Future[dict[str, Any]] | None = None
        self._read_paused = False
        self._drained: asyncio.Future[None] | None = None  # set while writing is paused
        self.server: tuple[str, int | None] | None = None
        self.client: tuple[str, int] | None = None
        self._request = b""  # the upgrade request, until it is whole
        #: the HTTP side this connection came in through, while its request head is awaited (``await_head``)
        self._front: Front | None = None
        self._key = b""
        self._extensions: bytes | None = None  # the negotiated Sec-WebSocket-Extensions
        #: while ``RESPONDING``: the app's denial response so far (status, headers, body parts)
        self._denial: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None = None

        self._close_timer: asyncio.TimerHandle | None = None  # aborts a close that takes too long
        self._write_timer: asyncio.TimerHandle | None = None  # ws_write_timeout, while writing is paused
        self._owed_pong: bytes | None = None  # the latest ping's payload, while writing is paused
        #: the tick of this connection's deadline on a wheel: the request head's (``await_head``), then the
        #: keepalive wheel's next ping; a number, not an int object of each connection's (32 bytes)
        self._tick = _NO_TICK
        self.pong_timer: asyncio.TimerHandle | None = None
        self.pending_ping_payload: bytes | None = None
        self.ping_sent_at = 0.0  # loop time of the last keepalive ping
        self.last_ping_rtt = 0.0
        #: the ``fastws.Broadcast`` delivery state of this connection, if subscribed:
        #: told when writing may resume (``writable()``) and when the connection is gone (``lost()``)
        self.fanout: Fanout | None = None

    # ------------------------------------------- asyncio.BufferedProtocol

    def await_head(self, front: Front) -> None:
        """Take the connection from its first byte, for ``front`` (``fastws.http``; before ``connection_made``).

        The request head is held to the front's limits and deadline, and
        the connection given back to the front, with what was read, unless
        the head is a WebSocket upgrade (see ``fastws._front``).
        """
        self._front = front

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.share.connections.add(self)  # type: ignore[arg-type]
        front = self._front
        if front is not None:  # the rest once the head is an upgrade (most plain HTTP is given back)
            if front.head_deadlines is not None:
                self._tick = front.head_deadlines.add(front.head_timeout, self)
        else:
            self._made()

    def _made(self) -> None:
        """The connection is a WebSocket upgrade's: its addresses and scheme."""
        self.server, self.client = _addresses(self.transport)
        self.scheme = "wss" if is_ssl(self.transport) else "ws"
        if self.logger.level <= TRACE_LOG_LEVEL:
            self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket connection made", self._prefix())

    def connection_lost(self, exc: Exception | None) -> None:
        if self._front is not None:
            self._leave_front()
        self.state = CLOSED
        self._fd = NO_FD  # the descriptor is closed, and its number may be given to another connection
        self.share.connections.discard(self)
        if self.share.handoff is not None:
            self.share.handoff.discard(self)
        self._stop_keepalive()
        for timer in (self._close_timer, self._write_timer):
            if timer is not None:
                timer.cancel()
        self._close_timer = self._write_timer = None
        self._disconnect(CloseCode.ABNORMAL_CLOSURE, None, "client")  # unless the app was told already
        COUNTERS.lost(self, self.share.loop.time())
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)  # a send waiting for a drain that never comes
        if self.fanout is not None:
            self.fanout.lost()
        self.conn.lost()  # a message half read goes now, not with the app's task
        if self.conn.deflate is not None:
            self.conn.deflate.close()  # its idle check, if due, goes now, not a second later
        if self.logger.level <= TRACE_LOG_LEVEL:
            self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket connection lost", self._prefix())

    def eof_received(self) -> None:
        pass

    def pause_writing(self) -> None:
        if self._drained is None:
            self._drained = self.share.loop.create_future()
            COUNTERS.pause(self, self.share.loop.time())
            timeout = self.settings.ws_write_timeout
            if timeout and self._write_timer is None:
                self._write_timer = self.share.loop.call_later(timeout, self._write_timed_out)

    def resume_writing(self) -> None:
        drained, self._drained = self._drained, None
        COUNTERS.resume(self, self.share.loop.time())
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        if self._owed_pong is not None:
            payload, self._owed_pong = self._owed_pong, None
            if self.is_open():
                self._hand(self.conn.send_pong(payload))
        if drained is not None and not drained.done():
            drained.set_result(None)
        if self.fanout is not None:
            self.fanout.writable()

    #: where the transport reads the peer's next bytes (``fastws._read_buffer``): one buffer per thread, lent
    #: by one function for every connection (static: no method bound to each); no bytes object is made per
    #: read, and no copy of it whole
    get_buffer = staticmethod(_read_buffer.get_buffer)

    def buffer_updated(self, nbytes: int) -> None:
        """The transport read ``nbytes`` into ``get_buffer``'s buffer: they are parsed now."""
        buffer = this_thread()
        if not self.scope:  # the request head: once per connection, as bytes
            self.data_received(bytes(buffer[:nbytes]))
            return
        self._received(self.conn.receive_from(buffer, nbytes, self._read_budget()))

    @property
    def data_received(self) -> Callable[[bytes], None]:
        """``data_received(data)``: the peer's bytes, the request head first; it is the protocol itself.

        A transport keeps what its protocol's ``data_received`` is, for its
        life, even where it reads through ``get_buffer`` and ``buffer_updated``
        (uvloop does): a method bound to each connection would be 64 bytes.
        """
        return self

    def __call__(self, data: bytes) -> None:
        """``data_received(data)`` (see ``data_received``)."""
        if not self.scope:
            if self.state is CONNECTING:
                self._upgrade_request(data)
            return  # after a refused upgrade nothing more is read
        self._received(self.conn.receive_data(data, self._read_budget()))

    def _read_budget(self) -> int:
        """The bytes of messages the codec may parse from a read: it stops at a message boundary once they are
        spent, so that a flood of (compressed) messages is parsed and inflated no further than what the app may
        have waiting (``ws_max_queue_bytes``). No bound once the app is past its close: those are dropped, and
        the peer's Close behind them must be read."""
        state = self.state
        if state is not OPEN and state in PAST_CLOSE:
            return _NO_BUDGET
        return self.share.max_queue_bytes - self._queued_bytes

    def _received(self, events: list[object]) -> None:
        """Act on the events the codec parsed from what was read."""
        for event in events:
            kind = type(event)
            if kind is str:
                self._message({"type": _RECEIVE, "text": event}, len(event))  # type: ignore[arg-type]
            elif kind is bytes:
                self._message({"type": _RECEIVE, "bytes": event}, len(event))  # type: ignore[arg-type]
            elif kind is Ping:
                self._ping_received(event)  # type: ignore[arg-type]
            elif kind is Pong:
                self._pong(event)  # type: ignore[arg-type]
            elif kind is Close:
                self._peer_closed(event)  # type: ignore[arg-type]
            elif kind is Fail:
                self._failed(event)  # type: ignore[arg-type]
        if self.conn.stopped:
            # The budget ran out with bytes of the read left: nothing more is read until they are parsed (read
            # after read, they would pile up in the codec); at the loop's next turn if the app has room.
            if not self._read_paused:
                self._read_paused = True
                self.transport.pause_reading()
            if self._has_room():
                self.share.loop.call_soon(self._parse_kept)

    def _parse_kept(self) -> None:
        """Parse what the codec kept back at the budget; read again once none is left and the app has room."""
        if self.state is CLOSED or not self.conn.stopped:
            return
        self.data_received(b"")  # stopped again: the next turn's, if the app still has room
        if not self.conn.stopped and self._read_paused and self._has_room():
            self._read_paused = False
            self.transport.resume_reading()

    def _has_room(self) -> bool:
        """Whether the app's queue is down to half its bounds, or the app is past its close (nothing queues)."""
        state = self.state
        if state is not OPEN and state in PAST_CLOSE:
            return True
        return len(self._queue) <= self.share.max_queue // 2 and self._queued_bytes <= self.share.max_queue_bytes // 2

    def _ping_received(self, event: Ping) -> None:
        if self._drained is None:
            self._write(self.conn.data_to_send())  # the pong
        elif not self.conn.close_sent:
            # The peer does not read what we write: answer only its latest ping, once it
            # does (RFC 6455 5.5.3), so a ping flood cannot queue pongs without bound.
            self.conn.data_to_send()  # pongs only, as no Close went out
            self._owed_pong = event.payload
        else:
            self._write(self.conn.data_to_send())  # with our Close: written, bounded

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: close an open connection with 1012, now or within the drain window."""
        state = self.state
        if state is OPEN:
            window = self.settings.ws_drain_window
            deadline = self.share.config.timeout_graceful_shutdown
            if deadline is not None:  # each close starts in time for its handshake to end before uvicorn's deadline
                window = min(window, max(0.0, deadline - self.settings.ws_close_timeout))
            if window > 0 and not self.transport.is_closing():
                # A random moment, so that the clients of a draining worker do not all reconnect at
                # once: the handle is not kept, as _drain does nothing once the connection has closed.
                self.share.loop.call_later(random.uniform(0, window), self._drain)
            else:
                self._drain()
            return
        if self._front is not None:  # the head is still arriving: the front answers it as it would
            front, data = self._back_to_front()
            front.drain(self.transport, data)
            return
        self._stop_keepalive()
        if state is CONNECTING and not self.transport.is_closing():
            self._refuse(503, "Service Unavailable", "unavailable")  # going away: try another server
        self._close_transport()  # RESPONDING: the response is written only whole, so what the app gave is dropped

    def _drain(self) -> None:
        """Start the closing handshake with 1012 ("service restart"), unless the connection has closed."""
        if self.state is not OPEN:
            return
        self._stop_keepalive()
        if self.transport.is_closing():
            self._disconnect(CloseCode.SERVICE_RESTART)
            self.state = SERVER_CLOSING
            return
        reason = self.settings.ws_drain_reason
        self._disconnect(CloseCode.SERVICE_RESTART, reason or None)  # no "reason" key unless one is set, as uvicorn
        self._send_close(CloseCode.SERVICE_RESTART, reason, SERVER_CLOSING)

    # ---------------------------------------------------------- handshake

    def _upgrade_request(self, data: bytes) -> None:
        self._request += data
        if self._front is not None:
            self._front_request()
            return
        settings = self.settings
        try:
            request = handshake.parse_request(self._request, settings.http_max_head_size, settings.http_max_headers)
        except handshake.HandshakeError as error:
            self._reject(error)
            return
        if request is not None:  # else wait for the rest of the head
            rest = self._request[self._request.index(b"\r\n\r\n") + 4 :]
            self._request = b""
            self.upgrade(request, rest)

    def _front_request(self) -> None:
        """The head so far, for the front (``await_head``): a WebSocket upgrade is taken, the rest given back."""
        front: Front = self._front  # type: ignore[assignment]
        head = self._request
        try:
            end = handshake.check_head(head, front.max_head_size, front.max_headers)
        except handshake.HandshakeError:
            front, data = self._back_to_front()
            front.refuse(self.transport, data)  # over the front's limits, or bytes no head may hold
            return
        if end < 0:
            return  # wait for the rest of the head
        request = websocket_upgrade(head, end)
        if request is None:
            front, data = self._back_to_front()
            front.hand_over(self.transport, data)  # plain HTTP, or another upgrade: uvicorn's HTTP serves it
            return
        self._leave_front()
        self._request = b""
        self._made()
        self.upgrade(request, head[end + 4 :])

    def _leave_front(self) -> Front:
        """The head is no longer awaited for the front: its deadline goes. Return the front."""
        front: Front = self._front  # type: ignore[assignment]
        self._front = None
        if self._tick != _NO_TICK:
            front.head_deadlines.discard(self._tick, self)  # type: ignore[union-attr]
            self._tick = _NO_TICK
        return front

    def _back_to_front(self) -> tuple[Front, bytes]:
        """Give the connection back to the front: return it, and what the peer sent so far.

        This protocol is done with the connection (the front gives it
        another): it leaves the server's connections, and does nothing more.
        """
        front = self._leave_front()
        data, self._request = self._request, b""
        self.state = CLOSED
        self.share.connections.discard(self)
        return front, data

    def _reject(self, error: handshake.HandshakeError, outcome: Outcome = "invalid") -> None:
        self.logger.warning("Invalid WebSocket upgrade request: %s", error.reason)
        COUNTERS.handshake(outcome, error.status)
        self.state = REFUSED
        self._write(error.response(self.share.default_headers()))
        self._close_transport()

    def upgrade(self, request: handshake.Request, rest: bytes = b"") -> None:
        """Take over from a parsed upgrade request: check it, then start the app.

        ``rest`` is what the peer sent after the request's head (frames it
        did not wait to send). The HTTP side calls this after
        ``connection_made`` when it has parsed the request already
        (``fastws.http.HttpProtocol``); ``data_received`` calls it otherwise.
        """
        try:
            self._key = handshake.check_request(request)
        except handshake.HandshakeError as error:
            self._reject(error)
            return
        try:
            self._check_admission(request)
        except handshake.HandshakeError as error:
            self._reject(error, "origin_refused" if error.status == 403 else "unavailable")
            return
        offers = request.values(b"sec-websocket-extensions")
        if offers and self.share.config.ws_per_message_deflate:
            negotiated = deflate.negotiate(
                offers, window_bits=self.settings.ws_deflate_window_bits, mem_level=self.settings.ws_deflate_mem_level
            )
            if negotiated is not None:
                self.conn.deflate, self._extensions = negotiated
                idle = self.settings.ws_deflate_idle  # checked every idle / 4: freed idle to ~2x idle after use
                wheel = wheel_of(_deflate_wheels, self.share.config, self.share.loop, idle / 4) if idle else None
                self.conn.deflate.release_when_idle(wheel, idle)
        raw_path, _, query_string = request.target.partition(b"?")
        path = raw_path.decode("latin-1")
        protocols = request.values(b"sec-websocket-protocol")
        subprotocols = (
            [token.strip() for value in protocols for token in value.decode("latin-1").split(",") if token.strip()]
            if protocols  # case-sensitive tokens, in the client's order
            else []
        )
        scope = _SCOPE.copy()  # (see _SCOPE)
        scope["type"] = "websocket"
        shared = _SHARED_ITEMS.get((type(self), self.share.config.asgi_version))
        if shared is None:
            shared = _shared_items(type(self), self.share.config.asgi_version)
        scope["asgi"] = shared[0]
        scope["http_version"] = "1.1"
        scope["scheme"] = self.scheme
        scope["server"] = self.server
        scope["client"] = self.client
        root_path = self.share.config.root_path
        scope["root_path"] = root_path
        scope["path"] = root_path + (unquote(path) if "%" in path else path)
        scope["raw_path"] = root_path.encode("ascii") + raw_path
        scope["query_string"] = query_string
        scope["headers"] = request.headers
        scope["subprotocols"] = subprotocols
        scope["state"] = self.app_state.copy()
        scope["extensions"] = shared[1]
        self.scope = scope
        # uvicorn's proxy-headers middleware does its work now, not from the await chain of the whole connection
        self.app = app_for(self.app, request, self.scope, self.receive, self.send)
        self._push({"type": "websocket.connect"})
        self.share.tasks.add(
            self.share.loop.create_task(self._run_asgi(), name=TASK_NAME)
        )  # _run_asgi takes it out: no done-callback kept
        if rest:
            self.share.loop.call_soon(self.data_received, rest)  # frames sent before our 101: after it

    def _check_admission(self, request: handshake.Request) -> None:
        """Raise ``HandshakeError`` for a request this server will not take: 403 for an
        ``Origin`` outside the policy, 503 over uvicorn's ``limit_concurrency`` (its rule)."""
        policy = self.settings.origin_policy
        if policy is not None and not policy.allows(request.values(b"origin")):
            raise handshake.HandshakeError(403, "origin not allowed")
        limit = self.share.config.limit_concurrency
        if limit is not None and (len(self.share.connections) >= limit or len(self.share.tasks) >= limit):
            raise handshake.HandshakeError(503, "Service Unavailable")

    def _refuse(self, status: int, reason: str, outcome: Outcome = "failed") -> None:
        """Answer the upgrade with an HTTP error (before any 101)."""
        if self.state is not CONNECTING:
            return
        COUNTERS.handshake(outcome, status)
        self.state = REFUSED
        self._write(handshake.http_response(status, list(self.share.default_headers()), reason.encode()))

    # -------------------------------------------------------- messages in

    def _push(self, event: dict[str, Any], at_once: bool = False) -> bool:
        """Give ``event`` to the app's waiting ``receive``, else queue it; True if queued.

        ``at_once``: the task awaiting ``receive`` takes it now, inside this call (``settle``), where the
        caller is done with the connection's state: a message, parsed from a read.
        """
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            try:
                if at_once:
                    settle(self.share.loop, waiter, event)
                else:
                    waiter.set_result(event)
            except asyncio.InvalidStateError:  # it was cancelled: the event waits for the next receive
                pass
            else:
                return False
        queue = self._queue
        if not queue:
            queue = self._queue = deque()
        queue.append(event)
        return True

    def _disconnect(self, code: int, reason: str | None = None, side: Side = "server") -> None:
        """Tell the app the connection is over, once; count how it ended, if it was open."""
        if self._disconnect_code is not None:
            return
        self._disconnect_code = code  # receive() repeats it once the connection is gone
        if self in COUNTERS.live:
            COUNTERS.closed(code, side)
        event: dict[str, Any] = {"type": _DISCONNECT, "code": code}
        if reason is not None:
            event["reason"] = reason
        self._push(event)

    def _message(self, event: dict[str, Any], size: int) -> None:
        state = self.state
        if state is not OPEN and state in PAST_CLOSE:  # OPEN first: the common case, without a lookup
            return  # the app is past its close: drop, keep reading for the peer's Close
        # at once only while the codec has sent no Close: past a Close or a failure parsed in this same read
        # the app's step must see the connection closing, which it is once the rest of the read is acted on
        if self._push(event, not self.conn.close_sent):
            self._queued_bytes += size
            if not self._read_paused and (
                len(self._queue) >= self.share.max_queue or self._queued_bytes >= self.share.max_queue_bytes
            ):
                self._read_paused = True
                self.transport.pause_reading()

    def _peer_closed(self, event: Close) -> None:
        self._end(self.conn.data_to_send(), event.code, event.reason, "client")  # our echo, unless we closed first

    def _failed(self, event: Fail) -> None:
        self.logger.info("%sWebSocket failed: %s (%d)", self._prefix(), event.reason, event.code)
        if event.code == CloseCode.MESSAGE_TOO_BIG:
            COUNTERS.limit("message_size")
        self._end(self.conn.data_to_send(), event.code, event.reason, "server")  # our Close with the failure's code

    def _write_timed_out(self) -> None:
        """``ws_write_timeout``: the peer read nothing for that long while writes waited: drop it."""
        self._write_timer = None
        reason = "write timeout"
        self.logger.info("%sWebSocket %s: the peer reads nothing", self._prefix(), reason)
        COUNTERS.limit("write_timeout")
        if self.state not in PAST_CLOSE:
            self._disconnect(CloseCode.TRY_AGAIN_LATER, reason)  # as for a subscriber too slow
        self.state = PEER_GONE
        self._abort()  # a Close frame would wait behind what the peer does not read

    def _end(self, last: bytes, code: int, reason: str, side: Side) -> None:
        """The peer closed, broke a rule or went silent: write ``last``, tell the app, close TCP."""
        told = self.state in PAST_CLOSE  # the app had its disconnect with our close
        self.state = PEER_GONE
        self._write_last(last)
        if not told:
            self._disconnect(code, reason, side)
        self._close_transport()  # the server closes TCP first (RFC 6455 7.1.1)

    def _abort(self) -> None:
        """Drop the connection now, with a reset: the kernel keeps none of the unsent bytes.

        A plain close would leave them in the kernel for as long as it retries
        sending them to a peer that does not read (minutes, by default).
        """
        sock = self.transport.get_extra_info("socket")  # None on fastws' own transport: its abort() resets
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                reset_on_close(sock.fileno())
        self.transport.abort()

    def _close_transport(self) -> None:
        """Close TCP once what was written has gone out, but within ``ws_close_timeout``.

        A peer that does not read would otherwise keep the socket and the
        unsent bytes for as long as it stays.
        """
        if self.transport.is_closing():
            # closed already: by us (with its timer, if it held bytes), or gone; and asyncio's TLS transport
            # takes a second close() as letting go of its protocol, after which it cannot be asked anything
            return
        self.transport.close()
        if self._close_timer is None and self.transport.get_write_buffer_size():
            self._close_timer = self.share.loop.call_later(self.settings.ws_close_timeout, self._close_timed_out)

    def _close_timed_out(self) -> None:
        """``ws_close_timeout``: the closing handshake, or the flush before it, took too long: drop the peer."""
        self._close_timer = None
        COUNTERS.limit("close_timeout")
        self._abort()

    def receive(self) -> asyncio.Future[dict[str, Any]] | ReadyEvent:
        """The ASGI ``receive``: the next event for the app.

        A future, not a coroutine (``fastws._next_event``): an app waiting on
        an idle connection holds no coroutine frame of ours (248 bytes a
        connection), and an event already here is the await's value at once.
        """
        queue = self._queue
        if queue:
            event = queue.popleft()
            if not queue:
                self._queue = ()
            if event["type"] is _RECEIVE:
                body = event.get("bytes")
                self._queued_bytes -= len(event["text"] if body is None else body)
            if self._read_paused and self._has_room():
                self._resume_reading()
        elif self.state is CLOSED:
            event = {"type": _DISCONNECT, "code": self._disconnect_code}
        else:
            waiter = self._waiter = pending(self.share.loop, self.share.future_kwargs)
            return waiter
        return ready(self.share.loop, event)

    def _resume_reading(self) -> None:
        if self.conn.stopped:  # what the codec kept back first: reading resumes once it is parsed
            self.share.loop.call_soon(self._parse_kept)
            return
        self._read_paused = False
        self.transport.resume_reading()

    # ------------------------------------------------------- messages out

    def _write(self, data: bytes) -> None:
        if data and not self.transport.is_closing():
            self._hand(data)

    def _write_last(self, data: bytes) -> None:
        """Write ``data``, the last bytes before TCP closes: straight to the socket while the transport holds
        nothing, held by the kernel until the close so its FIN goes in the same segment (``send_last``)."""
        fd = self._writable_fd()
        if fd >= 0 and data:
            sent = send_last(fd, data)
            if sent == len(data):
                return
            if sent:
                data = data[sent:]
        self._write(data)

    def _hand(self, data: bytes | memoryview) -> None:
        """Give ``data`` to the transport's ``write`` (it sends what the socket takes and keeps the rest): from
        now on it may hold bytes of ours, and a frame goes past it only once it is seen empty (``_writable_fd``)."""
        self._buffered = True
        self.transport.write(data)

    def send(self, message: dict[str, Any]) -> Sent | Coroutine[Any, Any, None]:
        """The ASGI ``send``: ``message`` sent now and ``SENT`` returned, whose await ends at once; while
        writing waits for the transport to drain (``_drained``), a coroutine that sends it after.

        Not a coroutine function: a coroutine made and run per message costs 400 instructions. What
        ``_send_message`` raises is raised by the await, as a coroutine's would be.
        """
        drained = self._drained
        if drained is not None:
            return self._send_drained(drained, message)
        try:
            self._send_message(_as_dict(message))
        except Exception as error:  # noqa: BLE001  # raised where a coroutine's would be: at the await
            return _raising(error)
        return SENT

    async def _send_drained(self, drained: asyncio.Future[None], message: dict[str, Any]) -> None:
        await asyncio.shield(drained)  # the future of the call's time: it may be drained before this first step
        self._send_message(_as_dict(message))

    def _send_message(self, message: dict[str, Any]) -> None:
        """``send``'s step: a message on an open connection here, anything else in ``_send_other``."""
        if self.state is OPEN and message["type"] == "websocket.send":
            data = message.get("bytes")
            if data is not None:
                self._write_bytes(data)
            else:
                text = message.get("text")
                if text is not None:
                    if len(text) < LARGE_MESSAGE:  # the common case, without a call more
                        self._write_frame(self.conn.send_text(text))
                    else:
                        self._write_long_text(text)
        else:
            self._send_other(message)

    def _send_other(self, message: dict[str, Any]) -> None:
        """The ASGI ``send`` of all but a message on an open connection (``ProtocolCore.send``):
        accept, close, the denial response, and the errors."""
        state = self.state
        if state is CLOSED:
            raise ClientDisconnected()
        kind = message["type"]
        if state is OPEN:
            if kind == "websocket.close":
                self._send_close(message.get("code", CloseCode.NORMAL_CLOSURE), message.get("reason") or "", CLOSING)
            else:
                raise RuntimeError(f"Expected ASGI message 'websocket.send' or 'websocket.close', but got '{kind}'.")
        elif state is PEER_GONE or state is SERVER_CLOSING:
            if kind == "websocket.close":
                return  # the connection is already closing, and the app was told
            raise ClientDisconnected()
        elif state is CONNECTING:
            self._before_accept(message, kind)
        elif state is RESPONDING:
            self._denial_body(message, kind)
        else:  # REFUSED or CLOSING
            raise RuntimeError(f"Unexpected ASGI message '{kind}', after sending 'websocket.close'.")

    def is_open(self) -> bool:
        """Accepted, and neither side has closed: messages may still go out."""
        return self.state is OPEN

    def is_connecting(self) -> bool:
        """The app has not answered the upgrade yet: the connection may still open."""
        return self.state is CONNECTING

    def queued_bytes(self) -> int:
        """Bytes of received messages waiting for the app's ``receive`` (``fastws.metrics``)."""
        return self._queued_bytes

    def write_buffer_size(self) -> int:
        """Bytes written and not yet taken by the kernel (``fastws.metrics``)."""
        return self.transport.get_write_buffer_size() if self.transport is not None else 0

    def writing_paused(self) -> bool:
        """The transport's buffer is over its high-water mark: writes should wait for ``resume_writing``."""
        return self._drained is not None

    def write_frame(self, frame: bytes) -> None:
        """Write a framed message: straight to the socket while the transport holds nothing, else through it.

        Straight to the socket skips uvloop's write path (as picows does); the
        transport's buffer being empty keeps the bytes in order, and what the
        socket does not take at once, or an error, goes to the transport as
        before. Never once the transport is closing: its descriptor may be gone.
        """
        self._write_frame(frame)

    def _write_frame(self, frame: bytes) -> None:
        # write_frame for the class itself: compiled, a C call with no look for a subclass's override
        # (a cpdef method makes one at every call: an attribute lookup per message on Python >= 3.12)
        fd = self._writable_fd()
        if fd >= 0:
            sent = send_now(fd, frame)
            if sent == len(frame):
                return
            if sent:
                frame = frame[sent:]
        self._hand(frame)

    def deliver_frame(self, frame: bytes) -> bool:
        """``write_frame`` if the connection is open and writing is not paused, else nothing: False.

        A fan-out's common case in one call per delivery (``is_open``,
        ``writing_paused`` and ``write_frame`` are three); ``deliver_frame_to`` is the
        same as a function.
        """
        return self._deliver_frame(frame)

    def _deliver_frame(self, frame: bytes) -> bool:
        if self.state is not OPEN or self._drained is not None:
            return False
        self._write_frame(frame)
        return True

    def write_parts(self, header: bytes, payload: bytes | str) -> None:
        """``write_frame`` of a frame's ``header`` then its ``payload`` (bytes, or ASCII text), never joined."""
        fd = self._writable_fd()
        sent = send_parts(fd, header, payload) if fd >= 0 else 0
        size = len(header)
        if sent == size + len(payload):
            return
        if sent < size:
            self._hand(header[sent:])
            sent = size
        if isinstance(payload, str):  # the rest of the text's own bytes, lent to the transport: no copy
            self._hand(ascii_view(payload, sent - size))
        else:
            self._hand(memoryview(payload)[sent - size :] if sent > size else payload)

    def _writable_fd(self) -> int:
        """The socket's descriptor while it may be written past the transport (its buffer empty), else -1."""
        fd = self._fd
        if fd == _FD_UNKNOWN:
            fd = self._fd = self._socket_fd()
        transport = self.transport
        if fd < 0 or transport.is_closing():
            return NO_FD
        if self._buffered:
            if transport.get_write_buffer_size():
                return NO_FD
            self._buffered = False
        return fd

    def own_socket(self) -> bool:
        """Move the open connection off the loop's transport to a ``SocketTransport`` (``fastws._socket_transport``)
        now, if it can; False when it cannot yet (the loop's transport holds bytes), True when it moved or never
        will. At the accept, or ``ws_own_socket_after`` later (``fastws.handoff``).

        Only an open connection, from a plain TCP transport of uvloop's or
        asyncio's (``_socket_fd``) that holds nothing, and while a descriptor
        more may be had for a moment: the socket is duplicated, the loop's
        transport let go of and aborted (which closes its descriptor, not the
        socket), and the connection read and written on the duplicate from now
        on. Otherwise it stays on the loop's transport, as it would be with
        ``ws_own_socket`` off.
        """
        if self.state is not OPEN or not self.settings.ws_own_socket or isinstance(self.transport, SocketTransport):
            return True
        fd = self._writable_fd()
        if fd < 0:  # not a plain socket's (never), closing (never), or holding bytes: later
            return self._fd < 0 or self.transport.is_closing()
        try:
            own = os.dup(fd)
        except OSError:  # out of descriptors: the loop's transport serves
            return True
        loop_transport = self.transport
        low, high = loop_transport.get_write_buffer_limits()
        transport = SocketTransport(self.share.loop, own, self, high, low)
        loop_transport.set_protocol(_LET_GO)
        loop_transport.abort()
        self.transport = transport  # type: ignore[assignment]
        self._fd = own
        if not self._read_paused:  # frames sent with the request may have filled the app's queue already
            transport.resume_reading()
        return True

    def _write_long_text(self, text: str) -> None:
        """A text of ``LARGE_MESSAGE`` characters or more: header and text apart when it is ASCII, uncompressed."""
        conn = self.conn
        if type(text) is str and text.isascii() and conn.deflate is None:
            self.write_parts(conn.send_header(True, len(text)), text)
        else:
            self._write_frame(conn.send_text(text))

    def _write_bytes(self, data: bytes) -> None:
        conn = self.conn
        if len(data) >= LARGE_MESSAGE and type(data) is bytes and conn.deflate is None:
            self.write_parts(conn.send_header(False, len(data)), data)
        else:
            self._write_frame(conn.send_bytes(data))

    def _socket_fd(self) -> int:
        """The descriptor ``write_frame`` may send on, or ``NO_FD``: TLS (the transport encrypts), not a POSIX
        socket, or a transport not known to keep its buffer only for what the socket has not taken."""
        kind = type(self.transport)
        direct = _direct_kinds.get(kind)
        if direct is None:
            if len(_direct_kinds) >= 64:
                _direct_kinds.clear()
            direct = _direct_kinds[kind] = f"{kind.__module__}.{kind.__qualname__}" in _DIRECT_TRANSPORTS
        if self.scheme != "ws" or not _POSIX or not direct:
            return NO_FD
        sock = self.transport.get_extra_info("socket")
        try:
            return int(sock.fileno()) if sock is not None else NO_FD
        except (AttributeError, OSError, TypeError, ValueError):
            return NO_FD

    def write_text(self, text: str) -> bool:
        """``fastws.WebSocket``'s direct path: frame and write a text message now.

        False (nothing written) unless the connection is open and writable:
        then the caller goes through ``send``, which waits or raises.
        """
        if self._drained is None and self.state is OPEN:
            if len(text) < LARGE_MESSAGE:  # the common case, without a call more
                self._write_frame(self.conn.send_text(text))
            else:
                self._write_long_text(text)
            return True
        return False

    def write_bytes(self, data: bytes) -> bool:
        """``write_text`` for a binary message."""
        if self._drained is None and self.state is OPEN:
            self._write_bytes(data)
            return True
        return False

    def close_now(self, code: int, reason: str = "") -> None:
        """Start the closing handshake from the server's side, not through the app.

        The app's ``receive`` gets the ``websocket.disconnect`` with ``code``;
        a peer that does not answer within ``ws_close_timeout`` is dropped.
        ``fastws.Broadcast`` uses it on a subscriber that fell too far behind.
        """
        if self.is_open():
            self._send_close(code, reason, SERVER_CLOSING)

    def _send_close(self, code: int, reason: str, state: State) -> None:
        frame = self.conn.send_close(code, reason)
        self._disconnect(code, reason)
        self.state = state
        self._write(frame)
        if self._read_paused:
            self._resume_reading()  # to read the peer's Close
        # a peer that does not answer in time is dropped, with whatever it left unread
        if self._close_timer is None:
            self._close_timer = self.share.loop.call_later(self.settings.ws_close_timeout, self._close_timed_out)

    def _before_accept(self, message: dict[str, Any], kind: str) -> None:
        if kind == "websocket.accept":
            headers = [
                (name.lower(), value) for name, value in [*self.share.default_headers(), *message.get("headers", [])]
            ]
            response = handshake.accept_response(self._key, message.get("subprotocol"), headers, self._extensions)
            self._key = b""  # answered: not held for the connection's life (64 bytes)
            self._access("[accepted]")
            if not self.transport.is_closing():
                COUNTERS.opened(self, self._extensions is not None)
                self.state = OPEN
                self._write(response)
                handoff = self.share.handoff
                if handoff is not None:
                    handoff.add(self)
                else:  # at the accept (``ws_own_socket_after`` 0), or never: own_socket() reads the setting
                    self.own_socket()
                self._start_keepalive()
        elif kind == "websocket.close":
            self._access("403")
            self._disconnect(CloseCode.ABNORMAL_CLOSURE)
            self._refuse(403, "", "denied")
            self._close_transport()
        elif kind == "websocket.http.response.start":
            status = message["status"]
            if not 100 <= status < 600:
                raise RuntimeError(f"Invalid HTTP status code '{status:d}' in response.")
            self._access(str(status))
            self.state = RESPONDING
            self._denial = (status, list(message.get("headers", [])), [])
        else:
            raise RuntimeError(
                "Expected ASGI message 'websocket.accept', 'websocket.close' "
                f"or 'websocket.http.response.start' but got '{kind}'."
            )

    def _denial_body(self, message: dict[str, Any], kind: str) -> None:
        if kind != "websocket.http.response.body":
            raise RuntimeError(f"Expected ASGI message 'websocket.http.response.body' but got '{kind}'.")
        assert self._denial is not None
        self._denial[2].append(message.get("body", b""))
        if not message.get("more_body", False):
            self._finish_denial()

    def _finish_denial(self) -> None:
        """Write the app's denial response with the body it gave so far."""
        assert self._denial is not None
        status, headers, body = self._denial
        self._denial = None
        self.state = REFUSED
        COUNTERS.handshake("denied", status)
        present = {name.lower() for name, _ in headers}
        defaults = [(name, value) for name, value in self.share.default_headers() if name.lower() not in present]
        self._disconnect(CloseCode.ABNORMAL_CLOSURE)
        self._write(handshake.http_response(status, [*defaults, *headers], b"".join(body)))
        self._close_transport()

    # ------------------------------------------------------------ the app

    def _run_asgi(self) -> Coroutine[Any, Any, None]:
        """What the connection's ASGI task runs: the app, then what its end requires (``app_finished``)."""
        return AppRun(self)

    def app_finished(self, result: object, error: BaseException | None) -> None:
        """The app's coroutine returned ``result`` or raised ``error`` (``AppRun``): uvicorn's ``run_asgi``'s
        checks and log lines (a 500 if the upgrade was not answered), then the end of the connection."""
        try:
            if error is not None:
                if not isinstance(error, ClientDisconnected):  # a send after the peer had gone: not the app's bug
                    self.logger.error("Exception in ASGI application\n", exc_info=error)
                    self._refuse(500, "Internal Server Error")
            elif self.state is CONNECTING:
                self.logger.error("ASGI callable returned without completing handshake.")
                self._refuse(500, "Internal Server Error")
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
            self._app_ended()
        finally:
            self.share.tasks.discard(asyncio.current_task(self.share.loop))

    def _app_ended(self) -> None:
        """The app returned or failed: its denial response, if it began one, and the close."""
        if self.state is RESPONDING:
            self._finish_denial()  # started, then the app ended or failed: send what it gave
        if self._close_timer is None:
            self._close_transport()

    def _access(self, outcome: str) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        scope: Any = self.scope
        self.logger.info('%s - "WebSocket %s" %s', get_client_addr(scope), get_path_with_query_string(scope), outcome)

    def _prefix(self) -> str:
        return f"{self.client[0]}:{self.client[1]:d} - " if self.client else ""

    # ---------------------------------------------------------- keepalive

    # uvicorn's protocols' attributes, the server's: read from its share
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.share.loop

    @property
    def config(self) -> Config:
        return self.share.config

    @property
    def root_path(self) -> str:
        return self.share.config.root_path

    @property
    def connections(self) -> set[Any]:
        return self.share.connections

    @property
    def tasks(self) -> set[asyncio.Task[None]]:
        return self.share.tasks

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        return self.share.default_headers()

    @property
    def ping_interval(self) -> float | None:
        return self.share.config.ws_ping_interval

    @property
    def ping_timeout(self) -> float | None:
        return self.share.config.ws_ping_timeout

    @property
    def ping_timer(self) -> int | None:
        """The tick of this connection's deadline on a wheel (see ``TimerWheel``), or None."""
        return None if self._tick == _NO_TICK else self._tick

    def _start_keepalive(self) -> None:
        keepalive, interval = self.share.keepalive, self.share.config.ws_ping_interval
        if keepalive is not None and interval:
            self._tick = keepalive.add(interval - self.last_ping_rtt, self)

    def _stop_keepalive(self) -> None:
        if self._tick != _NO_TICK and self.share.keepalive is not None:
            self.share.keepalive.discard(self._tick, self)
        if self.pong_timer is not None:
            self.pong_timer.cancel()
        self._tick = _NO_TICK
        self.pong_timer = None

    def on_due(self) -> None:
        """A wheel's deadline: the request head's (``await_head``), or a keepalive ping's
        (``ws_ping_interval`` after the last one's answer)."""
        self._tick = _NO_TICK
        if self._front is not None:  # the head did not arrive whole in time: the front answers it
            front, data = self._back_to_front()
            front.time_out(self.transport, data)
            return
        if self.state is not OPEN or self.transport.is_closing():
            return
        self.pending_ping_payload = os.urandom(4)
        self.ping_sent_at = self.share.loop.time()
        self._write(self.conn.send_ping(self.pending_ping_payload))
        timeout = self.share.config.ws_ping_timeout
        if timeout:
            self.pong_timer = self.share.loop.call_later(timeout, self._ping_timed_out)
        else:
            self._start_keepalive()

    def _pong(self, event: Pong) -> None:
        if self.pending_ping_payload is None or event.payload != self.pending_ping_payload:
            return  # unsolicited, or an answer to an older ping
        self.pending_ping_payload = None
        self.last_ping_rtt = self.share.loop.time() - self.ping_sent_at
        if self.pong_timer is not None:
            self.pong_timer.cancel()
            self.pong_timer = None
            self._start_keepalive()

    def _ping_timed_out(self) -> None:
        self.pong_timer = None
        if self.state is not OPEN or self.transport.is_closing():
            return
        self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket keepalive ping timeout", self._prefix())
        COUNTERS.limit("ping_timeout")
        self._end(
            self.conn.send_close(CloseCode.INTERNAL_ERROR, "keepalive ping timeout"),
            CloseCode.INTERNAL_ERROR,
            "keepalive ping timeout",
            "server",
        )


def _as_dict(message: Mapping[str, Any]) -> dict[str, Any]:
    """An ASGI message as a dict: itself when it is one (compiled: read in C), any other mapping as a copy."""
    return message if type(message) is dict else dict(message)


async def _raising(error: Exception) -> None:
    """A coroutine that raises ``error``: ``send``'s result where sending failed."""
    raise error


def deliver_frame_to(core: ProtocolCore, frame: bytes) -> bool:
    """``core.deliver_frame(frame)``: what ``fastws.Broadcast``'s fan-out calls for each subscriber on this protocol
    (compiled, a C call: a method is looked up on the instance of ``WebSocketProtocol``, a Python subclass)."""
    return core._deliver_frame(frame)
