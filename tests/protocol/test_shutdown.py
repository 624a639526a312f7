"""uvicorn's graceful shutdown, on fastws' protocol and on uvicorn's own sans-I/O one, side by side.

What the app and the client see when the server stops while a connection is
in the middle of something: the same on both protocols.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import pytest

from tests.helpers.serving import TIMEOUT, Recorded, run, serving


async def _upgrade_request(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = url.removeprefix("ws://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")  # fmt: skip
    return reader, writer


def _after_the_servers_1012(ws: Any, action: str) -> list[str]:
    """What an accepted app sees when the server shuts down, then it sends or closes."""
    accepted = asyncio.Event()
    outcome: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        accepted.set()
        message = await receive()  # the server's shutdown: websocket.disconnect, 1012
        outcome.append(f"{message['type']} {message.get('code')}")
        try:
            if action == "send":
                await send({"type": "websocket.send", "text": "late"})
            else:
                await send({"type": "websocket.close", "code": 1000})
        except Exception as exc:
            outcome.append("OSError" if isinstance(exc, OSError) else type(exc).__name__)
        else:
            outcome.append("no error")

    async def main() -> None:
        async with serving(app, ws=ws) as url:
            reader, writer = await _upgrade_request(url)
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            await asyncio.wait_for(accepted.wait(), TIMEOUT)
            asyncio.get_running_loop().call_later(1.0, writer.close)  # the client answers nothing
        writer.close()

    run(main())
    return outcome


@pytest.mark.parametrize(("action", "expected"), [("send", "OSError"), ("close", "no error")])
def test_after_the_servers_1012_the_app_is_disconnected_as_on_uvicorn(action: str, expected: str) -> None:
    """The server closed with 1012 (the app did not close): a send is a disconnect, a close a no-op.

    uvicorn raises its ``ClientDisconnected`` (an ``OSError``, which
    Starlette's ``WebSocket`` turns into ``WebSocketDisconnect``), not the
    ``RuntimeError`` of a send after the app's own close; fastws does the same.
    """
    on_uvicorn = _after_the_servers_1012("websockets-sansio", action)
    on_fastws = _after_the_servers_1012(Recorded, action)
    assert on_fastws == on_uvicorn == ["websocket.disconnect 1012", expected]
