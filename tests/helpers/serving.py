"""uvicorn with the fastws protocol, in-process on a free loopback port, and an echo app.

``serving`` starts uvicorn inside the test's event loop and stops it after
(``running`` yields the server too, for a test that stops it itself),
on ``Recorded`` (the protocol, remembering its instances and direct
writes) unless told another; ``run`` bounds a whole test's coroutine;
``echo`` is the app; ``raw_upgrade`` sends a handshake by hand. Every wait
is bounded by ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from fastws.protocol import WebSocketProtocol

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
TIMEOUT = 10


@asynccontextmanager
async def serving(app: App, **options: Any) -> AsyncIterator[str]:
    """uvicorn (by default with the fastws protocol) on a free loopback port; yields its ws:// URL."""
    async with running(app, **options) as (_, url):
        yield url


@asynccontextmanager
async def running(app: App, **options: Any) -> AsyncIterator[tuple[uvicorn.Server, str]]:
    """``serving``, yielding the server too: ``server.should_exit = True`` stops it as a signal would.

    On exit it is stopped (if not already) and waited for, within three ``TIMEOUT``s.
    """
    options.setdefault("ws_per_message_deflate", False)
    options.setdefault("ws", Recorded)
    options.setdefault("log_level", "warning")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(TIMEOUT):
            while not server.started:
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield server, f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 3 * TIMEOUT)


def run(coro: Awaitable[Any]) -> Any:
    """Run one coroutine to completion on a fresh event loop, within 30 seconds."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coro, 30)

    return asyncio.run(bounded())


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept (with the first offered subprotocol), then echo until disconnect."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    offered = scope["subprotocols"]
    await send({"type": "websocket.accept", "subprotocol": offered[-1] if offered else None,
                "headers": [(b"x-echo", b"yes")]})  # fmt: skip
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def raw_upgrade(
    url: str, extra: bytes = b"", version: bytes = b"13", frames: bytes = b""
) -> tuple[Any, Any, bytes]:
    """An upgrade request by hand (``extra`` header lines; ``frames`` sent with it, before the answer);
    the stream's reader and writer, and the response head."""
    host, port = url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: " + version + b"\r\n" + extra + b"\r\n"
                 + frames)  # fmt: skip
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    return reader, writer, head


class Recorded(WebSocketProtocol):
    """The protocol, remembering its instances (and direct writes) so a test can look inside."""

    instances: list[WebSocketProtocol] = []
    direct_writes = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Recorded.instances.append(self)

    def write_text(self, text: str) -> bool:
        Recorded.direct_writes += 1
        return super().write_text(text)

    def write_bytes(self, data: bytes) -> bool:
        Recorded.direct_writes += 1
        return super().write_bytes(data)
