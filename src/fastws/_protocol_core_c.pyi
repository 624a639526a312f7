"""Type stubs for the compiled twin ``fastws._protocol_core_c``.

It is built from the pure twin's source, ``_protocol_core_py.py``, which is
also the source of truth for types (type checkers read it, through the
selector); this stub gives the compiled module the same names and
signatures, and ``python -m mypy.stubtest fastws._protocol_core_c`` checks it
against the built module. The methods ``_protocol_core_c.pxd`` declares
``cdef`` are C-only: not in the stub.
"""

import asyncio
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from uvicorn.config import Config
from uvicorn.server import ServerState

from ._front import Front
from ._next_event import ReadyEvent, Sent
from ._protocol_state import State
from .connection import Fanout
from .handoff import Handoff
from .metrics.counters import Outcome
from .settings import Settings
from .timer_wheel import TimerWheel
from .wire import codec, handshake

__all__ = ["KEEPALIVE_TICKS", "LARGE_MESSAGE", "NO_FD", "TASK_NAME", "ProtocolCore", "deliver_frame_to"]

KEEPALIVE_TICKS: int
LARGE_MESSAGE: int
NO_FD: int
TASK_NAME: str

class ServerShare:
    # a cdef class; it has the source's __slots__ too
    __slots__ = (
        "config",
        "connections",
        "future_kwargs",
        "handoff",
        "keepalive",
        "loop",
        "max_queue",
        "max_queue_bytes",
        "server_state",
        "settings",
        "tasks",
    )
    config: Config
    server_state: weakref.ref[ServerState]
    loop: asyncio.AbstractEventLoop
    settings: Settings
    connections: set[Any]
    tasks: set[asyncio.Task[None]]
    max_queue: int
    max_queue_bytes: int
    keepalive: TimerWheel | None
    future_kwargs: dict[str, Any] | None
    handoff: Handoff | None
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        loop: asyncio.AbstractEventLoop,
        settings: Settings,
    ) -> None: ...
    def default_headers(self) -> list[tuple[bytes, bytes]]: ...
    def serves(self, config: Config, loop: asyncio.AbstractEventLoop, settings: Settings) -> bool: ...

class ProtocolCore:
    # a cdef class; it has the source's __slots__ too (one source: _protocol_core_py.py)
    __slots__ = (
        "_buffered",
        "_close_timer",
        "_denial",
        "_disconnect_code",
        "_drained",
        "_extensions",
        "_fd",
        "_front",
        "_key",
        "_owed_pong",
        "_queue",
        "_queued_bytes",
        "_read_paused",
        "_request",
        "_tick",
        "_waiter",
        "_write_timer",
        "app",
        "app_state",
        "client",
        "conn",
        "fanout",
        "last_ping_rtt",
        "pending_ping_payload",
        "ping_sent_at",
        "pong_timer",
        "scheme",
        "scope",
        "server",
        "share",
        "state",
        "transport",
    )
    settings: Settings
    logger: Any
    share: ServerShare
    app: Any
    app_state: dict[str, Any]
    transport: asyncio.Transport
    conn: codec.Connection
    scope: dict[str, Any]
    state: State
    scheme: Literal["ws", "wss"]
    server: tuple[str, int | None] | None
    client: tuple[str, int] | None
    fanout: Fanout | None
    _request: bytes
    _front: Front | None
    _key: bytes
    _extensions: bytes | None
    _denial: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None
    _disconnect_code: int | None
    _queue: deque[dict[str, Any]] | tuple[()]
    _queued_bytes: int
    _waiter: asyncio.Future[dict[str, Any]] | None
    _read_paused: bool
    _fd: int
    _buffered: bool
    _drained: asyncio.Future[None] | None
    _owed_pong: bytes | None
    _close_timer: asyncio.TimerHandle | None
    _write_timer: asyncio.TimerHandle | None
    pong_timer: asyncio.TimerHandle | None
    pending_ping_payload: bytes | None
    ping_sent_at: float
    last_ping_rtt: float
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None: ...
    def await_head(self, front: Front) -> None: ...
    def connection_made(self, transport: asyncio.BaseTransport) -> None: ...
    def connection_lost(self, exc: Exception | None) -> None: ...
    def eof_received(self) -> None: ...
    def pause_writing(self) -> None: ...
    def resume_writing(self) -> None: ...
    @staticmethod
    def get_buffer(sizehint: int) -> memoryview: ...
    def buffer_updated(self, nbytes: int) -> None: ...
    @property
    def data_received(self) -> Callable[[bytes], None]: ...
    def __call__(self, data: bytes) -> None: ...
    def _parse_kept(self) -> None: ...
    def shutdown(self) -> None: ...
    def _drain(self) -> None: ...
    def upgrade(self, request: handshake.Request, rest: bytes = b"") -> None: ...
    def _write_timed_out(self) -> None: ...
    def _close_timed_out(self) -> None: ...
    def receive(self) -> asyncio.Future[dict[str, Any]] | ReadyEvent: ...
    def send(self, message: dict[str, Any]) -> Sent | Coroutine[Any, Any, None]: ...
    def is_open(self) -> bool: ...
    def is_connecting(self) -> bool: ...
    def queued_bytes(self) -> int: ...
    def write_buffer_size(self) -> int: ...
    def writing_paused(self) -> bool: ...
    def write_frame(self, frame: bytes) -> None: ...
    def deliver_frame(self, frame: bytes) -> bool: ...
    def write_parts(self, header: bytes, payload: bytes | str) -> None: ...
    def own_socket(self) -> bool: ...
    def write_text(self, text: str) -> bool: ...
    def write_bytes(self, data: bytes) -> bool: ...
    def close_now(self, code: int, reason: str = "") -> None: ...
    def _run_asgi(self) -> Coroutine[Any, Any, None]: ...
    def app_finished(self, result: object, error: BaseException | None) -> None: ...
    def _app_ended(self) -> None: ...
    def _refuse(self, status: int, reason: str, outcome: Outcome = "failed") -> None: ...
    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...
    @property
    def config(self) -> Config: ...
    @property
    def root_path(self) -> str: ...
    @property
    def connections(self) -> set[Any]: ...
    @property
    def tasks(self) -> set[asyncio.Task[None]]: ...
    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def ping_interval(self) -> float | None: ...
    @property
    def ping_timeout(self) -> float | None: ...
    @property
    def ping_timer(self) -> int | None: ...
    def on_due(self) -> None: ...
    def _ping_timed_out(self) -> None: ...

def deliver_frame_to(core: ProtocolCore, frame: bytes) -> bool: ...
