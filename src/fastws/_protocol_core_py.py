# cython: annotation_typing=False
"""``ProtocolCore``, the hot half of ``fastws.protocol.WebSocketProtocol``: one source, two builds.

What runs per message and per delivery: frames in (``data_received``), the
app's ``receive``, the flow control between them (``ws_max_queue``,
``ws_max_queue_bytes``), and messages out (``write_frame``, the fan-out's
``deliver_frame``, ``fastws.WebSocket``'s ``write_text``/``write_bytes``).
The handshake, the close, the denial response, keepalive, drain and the
ASGI ``send`` are the cold half, plain Python, in ``fastws.protocol``.

This file is the pure twin, and also the source of the compiled one: the
build compiles it with Cython as ``fastws._protocol_core_c``, typed by
``_protocol_core_c.pxd`` (aiohttp's way), so the twins cannot drift. The
``.pxd`` makes ``ProtocolCore`` a ``cdef class`` whose hot fields are C
fields and whose internal calls are C calls. Annotations are for type
checkers only (``annotation_typing=False``).

The core calls back into the cold half for what is rare: the upgrade
request (``_upgrade_request``) and control frames (``_ping_received``,
``_pong``, ``_peer_closed``, ``_failed``); ``WebSocketProtocol`` defines them.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from typing import Any, Literal

from ._protocol_state import PAST_CLOSE, State
from .sockets import ascii_view, send_now, send_parts
from .wire import codec
from .wire.events import Close, Fail, Ping, Pong

__all__ = ["LARGE_MESSAGE", "NO_FD", "ProtocolCore"]

_RECEIVE = "websocket.receive"
_DISCONNECT = "websocket.disconnect"

# the states as module names, as websockets has them: a global is read faster than an enum's member
_CONNECTING = State.CONNECTING
_OPEN = State.OPEN
_CLOSED = State.CLOSED

#: From this size (bytes, or ASCII characters) a message goes out as its header then itself
#: (``write_parts``), not copied into a frame first.
LARGE_MESSAGE = 64 * 1024
#: ``ProtocolCore._fd`` before the socket was looked at (at the first message written)
_FD_UNKNOWN = -2
#: ``ProtocolCore._fd`` where the socket may not be written past the transport (TLS, no socket)
NO_FD = -1

#: the transports whose write() only buffers what the socket has not taken, so that a frame may
#: go to the socket itself while they hold nothing (``write_frame``); any other goes through write()
_DIRECT_TRANSPORTS = frozenset({
    "uvloop.loop.TCPTransport", "uvloop.loop.UnixTransport", "asyncio.selector_events._SelectorSocketTransport",
})  # fmt: skip


class ProtocolCore:
    """The per-message half of a WebSocket connection on uvicorn: frames in, events to the app, frames out."""

    __slots__ = (  # tens of thousands live at once: no per-instance dict
        "_disconnect_code", "_drained", "_fd", "_queue", "_queued_bytes", "_read_paused", "_waiter",
        "conn", "loop", "max_queue", "max_queue_bytes", "scheme", "scope", "state", "transport",
    )  # fmt: skip

    def __init__(
        self, loop: asyncio.AbstractEventLoop, conn: codec.Connection, max_queue: int, max_queue_bytes: int
    ) -> None:
        self.loop = loop
        self.conn = conn
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        #: the socket's descriptor, for messages written past the loop's write path (``write_frame``):
        #: looked up at the first message, ``NO_FD`` where it cannot be used (TLS, no socket)
        self._fd = _FD_UNKNOWN
        self.scheme: Literal["ws", "wss"] = "ws"
        self.scope: dict[str, Any] = {}
        #: the connection's lifecycle (see ``State``); each transition is made in one place
        self.state = _CONNECTING
        self._disconnect_code: int | None = None  # told to the app, once
        #: events for the app's receive(), while it is not waiting; none held when empty (an idle
        #: connection's empty deque would be ~700 bytes)
        self._queue: deque[dict[str, Any]] | tuple[()] = ()
        self._queued_bytes = 0  # of the messages in _queue
        self._waiter: asyncio.Future[dict[str, Any]] | None = None
        self._read_paused = False
        self._drained: asyncio.Future[None] | None = None  # set while writing is paused

    # ------------------------------------------------- the cold half's part

    def _upgrade_request(self, data: bytes) -> None:
        """The upgrade request's bytes, until it is whole (``WebSocketProtocol``)."""
        raise NotImplementedError

    def _ping_received(self, event: Ping) -> None:
        raise NotImplementedError

    def _pong(self, event: Pong) -> None:
        raise NotImplementedError

    def _peer_closed(self, event: Close) -> None:
        raise NotImplementedError

    def _failed(self, event: Fail) -> None:
        raise NotImplementedError

    # ------------------------------------------------------- messages in

    def data_received(self, data: bytes) -> None:
        if not self.scope:
            if self.state is _CONNECTING:
                self._upgrade_request(data)
            return  # after a refused upgrade nothing more is read
        conn = self.conn
        # the codec stops at a message boundary once the budget is spent: a flood of
        # compressed messages is inflated no further than what the app may have waiting
        for event in conn.receive_data(data, self.max_queue_bytes - self._queued_bytes):
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
        if conn.stopped and not self._read_paused:  # the budget ran out, but the app took the messages
            self.loop.call_soon(self._parse_kept)

    def _parse_kept(self) -> None:
        """Parse what the codec kept back at the budget, unless reading paused again or the connection is gone."""
        if self.conn.stopped and not self._read_paused and self.state is not _CLOSED:
            self.data_received(b"")

    def _push(self, event: dict[str, Any]) -> bool:
        """Give ``event`` to the app's waiting ``receive``, else queue it; True if queued."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(event)
                return False
        queue = self._queue
        if not queue:
            queue = self._queue = deque()
        queue.append(event)
        return True

    def _message(self, event: dict[str, Any], size: int) -> None:
        state = self.state
        if state is not _OPEN and state in PAST_CLOSE:  # OPEN first: an Enum's hash is a Python call
            return  # the app is past its close: drop, keep reading for the peer's Close
        if self._push(event):
            self._queued_bytes += size
            if not self._read_paused and (
                len(self._queue) >= self.max_queue or self._queued_bytes >= self.max_queue_bytes
            ):
                self._read_paused = True
                self.transport.pause_reading()

    def receive(self) -> asyncio.Future[dict[str, Any]]:
        """The ASGI ``receive``: the next event for the app.

        A future, not a coroutine: an app waiting on an idle connection holds
        no coroutine frame of ours (248 bytes a connection).
        """
        queue = self._queue
        if queue:
            event = queue.popleft()
            if not queue:
                self._queue = ()
            if event["type"] is _RECEIVE:
                body = event.get("bytes")
                self._queued_bytes -= len(event["text"] if body is None else body)
            if (
                self._read_paused
                and len(queue) <= self.max_queue // 2
                and self._queued_bytes <= self.max_queue_bytes // 2
            ):
                self._resume_reading()
        elif self.state is _CLOSED:
            event = {"type": _DISCONNECT, "code": self._disconnect_code}
        else:
            waiter = self._waiter = self.loop.create_future()
            return waiter
        ready: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        ready.set_result(event)
        return ready

    def _resume_reading(self) -> None:
        self._read_paused = False
        self.transport.resume_reading()
        if self.conn.stopped:  # what the codec kept back: parse it now
            self.loop.call_soon(self._parse_kept)

    # ------------------------------------------------------ messages out

    def _write(self, data: bytes) -> None:
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def is_open(self) -> bool:
        """Accepted, and neither side has closed: messages may still go out."""
        return self.state is _OPEN

    def is_connecting(self) -> bool:
        """The app has not answered the upgrade yet: the connection may still open."""
        return self.state is _CONNECTING

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
        transport = self.transport
        fd = self._fd
        if fd == _FD_UNKNOWN:
            fd = self._fd = self._socket_fd()
        if fd >= 0 and not transport.get_write_buffer_size() and not transport.is_closing():  # fan-out's hot path:
            sent = send_now(fd, frame)  # inline, not _writable_fd (a call per delivery)
            if sent == len(frame):
                return
            if sent:
                frame = frame[sent:]
        transport.write(frame)

    def deliver_frame(self, frame: bytes) -> bool:
        """``write_frame`` if the connection is open and writing is not paused, else nothing: False.

        A fan-out's common case in one call per delivery (``is_open``,
        ``writing_paused`` and ``write_frame`` are three).
        """
        if self.state is not _OPEN or self._drained is not None:
            return False
        self.write_frame(frame)
        return True

    def write_parts(self, header: bytes, payload: bytes | str) -> None:
        """``write_frame`` of a frame's ``header`` then its ``payload`` (bytes, or ASCII text), never joined."""
        fd = self._writable_fd()
        sent = send_parts(fd, header, payload) if fd >= 0 else 0
        size = len(header)
        if sent == size + len(payload):
            return
        if sent < size:
            self.transport.write(header[sent:])
            sent = size
        if isinstance(payload, str):  # the rest of the text's own bytes, lent to the transport: no copy
            self.transport.write(ascii_view(payload, sent - size))
        else:
            self.transport.write(memoryview(payload)[sent - size :] if sent > size else payload)

    def _writable_fd(self) -> int:
        """The socket's descriptor while it may be written past the transport (its buffer empty), else -1."""
        fd = self._fd
        if fd == _FD_UNKNOWN:
            fd = self._fd = self._socket_fd()
        transport = self.transport
        return fd if fd >= 0 and not transport.get_write_buffer_size() and not transport.is_closing() else NO_FD

    def _write_long_text(self, text: str) -> None:
        """A text of ``LARGE_MESSAGE`` characters or more: header and text apart when it is ASCII, uncompressed."""
        conn = self.conn
        if type(text) is str and text.isascii() and conn.deflate is None:
            self.write_parts(conn.send_header(True, len(text)), text)
        else:
            self.write_frame(conn.send_text(text))

    def _write_bytes(self, data: bytes) -> None:
        conn = self.conn
        if len(data) >= LARGE_MESSAGE and type(data) is bytes and conn.deflate is None:
            self.write_parts(conn.send_header(False, len(data)), data)
        else:
            self.write_frame(conn.send_bytes(data))

    def _socket_fd(self) -> int:
        """The descriptor ``write_frame`` may send on, or ``NO_FD``: TLS (the transport encrypts), not a POSIX
        socket, or a transport not known to keep its buffer only for what the socket has not taken."""
        kind = type(self.transport)
        if (
            self.scheme != "ws"
            or os.name != "posix"
            or f"{kind.__module__}.{kind.__qualname__}" not in _DIRECT_TRANSPORTS
        ):
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
        if self._drained is None and self.state is _OPEN:
            if len(text) < LARGE_MESSAGE:  # the common case, without a call more
                self.write_frame(self.conn.send_text(text))
            else:
                self._write_long_text(text)
            return True
        return False

    def write_bytes(self, data: bytes) -> bool:
        """``write_text`` for a binary message."""
        if self._drained is None and self.state is _OPEN:
            self._write_bytes(data)
            return True
        return False
