"""Type stubs for the compiled twin ``fastws._protocol_core_c``.

It is built from the pure twin's source, ``_protocol_core_py.py``, which is
also the source of truth for types (type checkers read it, through the
selector); this stub gives the compiled module the same names and
signatures, and ``python -m mypy.stubtest fastws._protocol_core_c`` checks it
against the built module. The ``cdef`` methods (``_message``,
``_writable_fd``, ``_socket_fd``) are C-only: not in the stub.
"""

import asyncio
from collections import deque
from typing import Any, Literal

from .wire import codec
from .wire.events import Close, Fail, Ping, Pong

__all__ = ["LARGE_MESSAGE", "NO_FD", "ProtocolCore"]

LARGE_MESSAGE: int
NO_FD: int

class ProtocolCore:
    # a cdef class; it has the source's __slots__ too (one source: _protocol_core_py.py)
    __slots__ = (
        "_disconnect_code",
        "_drained",
        "_fd",
        "_queue",
        "_queued_bytes",
        "_read_paused",
        "_waiter",
        "conn",
        "loop",
        "max_queue",
        "max_queue_bytes",
        "scheme",
        "scope",
        "state",
        "transport",
    )
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    conn: codec.Connection
    scope: dict[str, Any]
    state: Any
    scheme: Literal["ws", "wss"]
    max_queue: int
    max_queue_bytes: int
    _fd: int
    _disconnect_code: int | None
    _queue: deque[dict[str, Any]] | tuple[()]
    _queued_bytes: int
    _waiter: asyncio.Future[dict[str, Any]] | None
    _read_paused: bool
    _drained: asyncio.Future[None] | None
    def __init__(
        self, loop: asyncio.AbstractEventLoop, conn: codec.Connection, max_queue: int, max_queue_bytes: int
    ) -> None: ...
    def _upgrade_request(self, data: bytes) -> None: ...
    def _ping_received(self, event: Ping) -> None: ...
    def _pong(self, event: Pong) -> None: ...
    def _peer_closed(self, event: Close) -> None: ...
    def _failed(self, event: Fail) -> None: ...
    def data_received(self, data: bytes) -> None: ...
    def _parse_kept(self) -> None: ...
    def _push(self, event: dict[str, Any]) -> bool: ...
    def receive(self) -> asyncio.Future[dict[str, Any]]: ...
    def _resume_reading(self) -> None: ...
    def _write(self, data: bytes) -> None: ...
    def is_open(self) -> bool: ...
    def is_connecting(self) -> bool: ...
    def queued_bytes(self) -> int: ...
    def write_buffer_size(self) -> int: ...
    def writing_paused(self) -> bool: ...
    def write_frame(self, frame: bytes) -> None: ...
    def deliver_frame(self, frame: bytes) -> bool: ...
    def write_parts(self, header: bytes, payload: bytes | str) -> None: ...
    def _write_long_text(self, text: str) -> None: ...
    def _write_bytes(self, data: bytes) -> None: ...
    def write_text(self, text: str) -> bool: ...
    def write_bytes(self, data: bytes) -> bool: ...
