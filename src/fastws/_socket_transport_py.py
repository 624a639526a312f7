# cython: annotation_typing=False
"""``SocketTransport``: an open WebSocket connection's socket, read and written by fastws itself.

Once a connection is open (its 101 written whole, nothing of it held by the
event loop's transport), fastws' protocol moves it off the loop's TCP
transport to one of these (``ProtocolCore``): a duplicate of the socket's
descriptor, watched with ``loop.add_reader``, read with ``recv(2)`` into the
thread's read buffer (``fastws._read_buffer``) and written with ``send(2)``;
the loop's transport is then aborted, which closes its descriptor only (the
socket lives on in the duplicate). What that saves, measured in
docs/benchmarks.md: per read, uvloop's stream takes the GIL twice and asks
the protocol for a buffer; here the loop calls the transport itself once and
it reads; per connection, uvloop's transport object and libuv's stream
handle (about 1 KiB) give way to this object and the loop's poll handle.

It is the part of ``asyncio.Transport`` fastws' protocol uses, with
asyncio's meanings: ``write`` sends what the socket takes now and keeps the
rest in order (``pause_writing`` above the high-water mark,
``resume_writing`` at the low one), ``close`` once the rest is written,
``abort`` now, with a reset (the kernel keeps none of the unsent bytes); the
peer's end of the stream is ``eof_received``, then a close; the protocol's
``connection_lost`` is called once, from the loop, after the descriptor is
closed, and the transport then lets go of the protocol (no cycle is left for
the cyclic GC). ``get_buffer`` is not called: the protocol is fastws', whose
``get_buffer`` lends that same buffer.

This file is the pure twin and the source of the compiled one
(``_socket_transport_c.pxd``, aiohttp's way), as ``_protocol_core_py.py``.
"""

from __future__ import annotations

import asyncio
import operator
import os
import socket
from typing import Any

from ._read_buffer import this_thread
from .sockets import recv_into, reset_on_close, send_buffers

__all__ = ["DEFAULT_HIGH_WATER", "DEFAULT_LOW_WATER", "SocketTransport"]

#: asyncio's and uvloop's default write-buffer limits: writes pause above the high mark, resume at the low
DEFAULT_HIGH_WATER = 64 * 1024
DEFAULT_LOW_WATER = DEFAULT_HIGH_WATER // 4


class SocketTransport:
    """An open WebSocket connection's socket, read and written by fastws itself (see the module)."""

    __slots__ = (  # tens of thousands live at once: no per-instance dict
        "_backlog", "_backlog_size", "_closing", "_ended", "_fd", "_high", "_loop", "_low", "_protocol",
        "_reading", "_writing_paused",
    )  # fmt: skip

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fd: int,
        protocol: Any,
        high: int = DEFAULT_HIGH_WATER,
        low: int = DEFAULT_LOW_WATER,
    ) -> None:
        """Take the non-blocking socket ``fd`` (closed by the transport) for ``protocol``, an
        ``asyncio.BufferedProtocol`` reading into ``fastws._read_buffer``'s buffer; reading starts with
        ``resume_reading``."""
        self._loop = loop
        self._fd = fd
        self._protocol = protocol
        #: what the socket has not taken yet, in order (bytes, or read-only views of what was given)
        self._backlog: list[bytes | memoryview] | None = None
        self._backlog_size = 0
        self._high = high
        self._low = low
        self._reading = False
        self._writing_paused = False
        self._closing = False  # close() or abort() was called, or the connection broke
        self._ended = False  # connection_lost is scheduled (the descriptor is closed when it runs)

    # ------------------------------------------------------------ reading

    def __call__(self) -> None:
        """The socket is readable: read it into the thread's buffer and hand what came to the protocol.

        The loop calls the transport itself (``add_reader``): no method bound
        to each connection.
        """
        buffer = this_thread()
        try:
            got = recv_into(self._fd, buffer)
        except OSError as error:
            self._force_close(error)
            return
        if got > 0:
            try:
                self._protocol.buffer_updated(got)
            except Exception as error:  # noqa: BLE001  # as asyncio and uvloop: reported, the connection dropped
                self._loop.call_exception_handler({
                    "message": "Fatal error: protocol.buffer_updated() call failed.",
                    "exception": error, "transport": self, "protocol": self._protocol,
                })  # fmt: skip
                self._force_close(error)
        elif got == 0:  # the peer's end of the stream
            self.pause_reading()
            if not self._protocol.eof_received():
                self.close()
        # -1: nothing after all (another wake-up took it)

    def is_reading(self) -> bool:
        return self._reading

    def pause_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def resume_reading(self) -> None:
        if not self._reading and not self._closing:
            self._reading = True
            self._loop.add_reader(self._fd, self)

    # ------------------------------------------------------------ writing

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send what the socket takes of ``data`` now and keep the rest, after what is kept already."""
        size = len(data)
        if not size or self._ended:
            return  # once the connection is lost, asyncio too drops what is written
        backlog = self._backlog
        if backlog is None:
            try:
                sent = send_buffers(self._fd, (data,))
            except OSError as error:
                self._force_close(error)
                return
            if sent == size:
                return
            rest = memoryview(data)[sent:]
            self._backlog = [rest if rest.readonly else bytes(rest)]  # what the caller may change is copied
            self._loop.add_writer(self._fd, self._write_ready)
            size -= sent
        else:
            view = memoryview(data)
            backlog.append(view if view.readonly else bytes(view))  # what the caller may change is copied
        self._backlog_size += size
        if not self._writing_paused and self._backlog_size > self._high:
            self._writing_paused = True
            self._protocol.pause_writing()

    def _write_ready(self) -> None:
        """The socket takes bytes again: send the backlog, as much as it takes."""
        backlog = self._backlog
        if backlog is None:
            return
        try:
            sent = send_buffers(self._fd, backlog)
        except OSError as error:
            self._force_close(error)
            return
        self._backlog_size -= sent
        while sent:
            first = backlog[0]
            if sent < len(first):
                backlog[0] = memoryview(first)[sent:]
                break
            sent -= len(first)
            del backlog[0]
        if not backlog:
            self._backlog = None
            self._loop.remove_writer(self._fd)
        if self._writing_paused and self._backlog_size <= self._low:
            self._writing_paused = False
            self._protocol.resume_writing()
        if self._backlog is None and self._closing and not self._ended:
            self._end(None)

    def get_write_buffer_size(self) -> int:
        return self._backlog_size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (self._low, self._high)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """asyncio's: ``high`` defaults to 64 KiB (4 x ``low`` when only ``low`` is given), ``low`` to ``high // 4``;
        what is kept already over the new ``high`` pauses the protocol's writing now."""
        if high is None:
            high = DEFAULT_HIGH_WATER if low is None else 4 * low
        if low is None:
            low = high // 4
        high, low = operator.index(high), operator.index(low)  # integers, as the compiled twin's C fields take
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        if high >= 1 << 63:
            raise OverflowError(f"high ({high!r}) is over 2**63 - 1")
        self._high = high
        self._low = low
        if not self._writing_paused and self._backlog_size > high:  # as asyncio's transports do
            self._writing_paused = True
            self._protocol.pause_writing()

    def can_write_eof(self) -> bool:
        return False

    # ------------------------------------------------------------ closing

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stop reading; close the socket once the backlog is written (``connection_lost`` then)."""
        if self._closing:
            return
        self._closing = True
        self.pause_reading()
        if self._backlog is None:
            self._end(None)

    def abort(self) -> None:
        """Close the socket now, with a reset: the kernel keeps none of the unsent bytes."""
        if self._ended:
            return
        try:
            reset_on_close(self._fd)
        except OSError:
            pass  # a reset is a courtesy: the socket is closed anyway
        self._force_close(None)

    def _force_close(self, error: Exception | None) -> None:
        """Drop the backlog and close the socket (a broken connection, or ``abort``)."""
        if self._ended:
            return
        self._closing = True
        self.pause_reading()
        if self._backlog is not None:
            self._backlog = None
            self._loop.remove_writer(self._fd)
        self._backlog_size = 0
        self._end(error)

    def _end(self, error: Exception | None) -> None:
        """Nothing more goes in or out: close the descriptor and tell the protocol, from the loop."""
        self._ended = True
        self._loop.call_soon(self._lost, error)

    def _lost(self, error: Exception | None) -> None:
        fd, self._fd = self._fd, -1
        os.close(fd)
        protocol, self._protocol = self._protocol, None  # no cycle left with it
        protocol.connection_lost(error)

    # ------------------------------------------------------------ asyncio.BaseTransport

    def get_protocol(self) -> Any:
        return self._protocol

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername`` and ``sockname``; ``default`` for anything else (there is no ``socket`` object: the
        transport owns the descriptor itself), or once closed."""
        if name not in ("peername", "sockname") or self._ended:
            return default
        sock = socket.socket(fileno=self._fd)  # a socket object that does not own the descriptor: no dup to fail
        try:
            return sock.getpeername() if name == "peername" else sock.getsockname()
        except OSError:  # the peer is gone (ENOTCONN)
            return default
        finally:
            sock.detach()
