"""Type stubs for the compiled twin ``fastws.broadcast._targets_c``.

It is built from the pure twin's source, ``_targets_py.py``, which is also
the source of truth for types (type checkers read it, through the
selector); this stub gives the compiled module the same names and
signatures, and ``python -m mypy.stubtest fastws.broadcast._targets_c``
checks it against the built module.
"""

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .._protocol_core import ProtocolCore
from ..connection import BroadcastConnection
from .message import Message

__all__ = [
    "ENTRY_COST",
    "OVERFLOW_POLICIES",
    "AsgiTarget",
    "Delivery",
    "DirectTarget",
    "QueueTarget",
    "Receiver",
    "Target",
    "deliver_all",
]

ENTRY_COST: int
OVERFLOW_POLICIES: tuple[str, str, str]
TRY_AGAIN_LATER: int
SLOW_REASON: str

class Receiver(Protocol):
    def deliver(self, message: Message) -> None: ...

@dataclass(slots=True, eq=False)
class Delivery:
    max_buffer: int
    overflow: str
    close_timeout: float
    ended: Callable[[Target], None]
    spawn: Callable[[Awaitable[Any]], None]
    dropped: int = 0
    closed_slow: int = 0

class Target:
    # a cdef class; it has the source's __slots__ too (one source: _targets_py.py)
    __slots__ = ("backlog", "channels", "delivery", "dropped", "gone", "key", "queued")
    delivery: Delivery
    key: int
    channels: set[str]
    backlog: deque[Message] | tuple[()]
    queued: int
    dropped: int
    gone: bool
    def __init__(self, delivery: Delivery) -> None: ...
    def deliver(self, message: Message) -> None: ...
    async def handed_over(self) -> None: ...
    def close(self) -> None: ...

class DirectTarget(Target):
    # a cdef class; it has the source's __slots__ too
    __slots__ = ("connection", "core", "emptied", "uncompressed")
    connection: BroadcastConnection
    core: ProtocolCore | None
    emptied: asyncio.Future[None] | None
    uncompressed: bool
    def __init__(self, delivery: Delivery, connection: BroadcastConnection) -> None: ...
    def writable(self) -> None: ...
    async def handed_over(self) -> None: ...
    def lost(self) -> None: ...

def deliver_all(targets: Iterable[Receiver], message: Message) -> None: ...

class AsgiTarget(Target):
    __slots__ = ("close_connection", "context", "send", "task")
    send: Callable[[dict[str, Any]], Awaitable[None]]
    close_connection: Callable[[int, str], Awaitable[None]]
    context: contextvars.Context | None
    task: asyncio.Task[None] | None
    def __init__(
        self,
        delivery: Delivery,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        close_connection: Callable[[int, str], Awaitable[None]],
        server_send: bool = False,
    ) -> None: ...

class QueueTarget(Target):
    __slots__ = ("failed", "waiter")
    waiter: asyncio.Future[None] | None
    failed: bool
    def __init__(self, delivery: Delivery) -> None: ...
    async def next(self) -> Message | None: ...
