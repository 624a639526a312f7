"""A ``ProtocolCore`` of either twin driven in one process, with no app and no socket: ``opened(twin, loop)``."""

from __future__ import annotations

import asyncio
from types import ModuleType
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from fastws.protocol import State
from fastws.settings import Settings


class Transport(asyncio.Transport):
    """Keeps what is written, how often reading paused and resumed, and whether it was closed; not a socket (no fd)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.pauses = self.resumes = 0
        self.closed = False

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def pause_reading(self) -> None:
        self.pauses += 1

    def resume_reading(self) -> None:
        self.resumes += 1

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    pass  # never run: these tests drive the core without an app


def opened(twin: ModuleType, loop: asyncio.AbstractEventLoop, max_queue: int = 2, max_queue_bytes: int = 1000) -> Any:
    """A protocol on ``twin``'s core, open, on a recording transport, as after an accepted upgrade."""

    class Protocol(twin.ProtocolCore, asyncio.BufferedProtocol):  # type: ignore[misc,name-defined]
        __slots__ = ()
        settings = Settings(ws_max_queue_bytes=max_queue_bytes)

    config = uvicorn.Config(app, ws_max_queue=max_queue, ws_ping_interval=None, log_level="warning")
    core = Protocol(config, ServerState(), {}, loop)
    core.connection_made(Transport())
    core.scope = {"type": "websocket"}
    core.state = State.OPEN
    return core


def app_taking(
    core: Any, loop: asyncio.AbstractEventLoop, count: int, key: str
) -> tuple[asyncio.Task[None], list[Any]]:
    """The app's task on ``core``, waiting in ``receive()``: it takes ``count`` messages, their ``key`` into the list."""
    got: list[Any] = []

    async def app_task() -> None:
        while len(got) < count:
            got.append((await core.receive())[key])

    task = loop.create_task(app_task())
    loop.run_until_complete(asyncio.sleep(0))  # it waits in receive()
    return task, got
