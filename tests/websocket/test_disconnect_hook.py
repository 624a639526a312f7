"""``WebSocket.on_disconnect``: the explicit hook for the end of a connection.

On both ``WebSocketBase`` twins: the callbacks run once, when the app reads
the client's ``websocket.disconnect`` (``receive()`` or a ``receive_*``
method, on the direct path or through the state machine). And
``fastws.Broadcast`` uses the hook for a ``fastws.WebSocket`` on the ASGI
path, instead of replacing the WebSocket's private ``_receive``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import pytest

from fastws import WebSocketDisconnect
from fastws.broadcast import Broadcast
from fastws.websockets import WebSocket
from tests.helpers.serving import run
from tests.helpers.twins import websocket_class

DISCONNECT = {"type": "websocket.disconnect", "code": 1001, "reason": "gone"}


def _scope() -> dict[str, Any]:
    return {"type": "websocket", "path": "/ws", "headers": [], "query_string": b"", "server": ("testserver", 80)}


def _script(*messages: dict[str, Any]) -> Callable[[], Awaitable[dict[str, Any]]]:
    """An ASGI receive that returns ``messages`` in turn (after the connect)."""
    queue = [{"type": "websocket.connect"}, *messages]

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    return receive


async def _sent(message: Any) -> None:
    return None


async def _accepted(cls: type[WebSocket], *messages: dict[str, Any]) -> WebSocket:
    websocket = cls(_scope(), _script(*messages), _sent)
    await websocket.accept()
    return websocket


def _with_own_receive(twin: ModuleType) -> type[WebSocket]:
    """A subclass overriding ``receive`` (calling the base): no short paths, every read through the state machine."""
    base = websocket_class(twin)

    async def receive(self: WebSocket) -> Any:
        return await base.receive(self)

    return type("OwnReceive", (base,), {"receive": receive})


def test_callbacks_run_once_in_order_when_receive_returns_the_disconnect(websocket_twin: ModuleType) -> None:
    async def main() -> None:
        calls: list[str] = []
        websocket = await _accepted(
            websocket_class(websocket_twin), {"type": "websocket.receive", "text": "hi"}, DISCONNECT
        )
        websocket.on_disconnect(lambda: calls.append("first"))
        websocket.on_disconnect(lambda: calls.append("second"))
        assert (await websocket.receive())["text"] == "hi"
        assert calls == []
        assert await websocket.receive() == DISCONNECT
        assert calls == ["first", "second"]
        with pytest.raises(RuntimeError):
            await websocket.receive()
        assert calls == ["first", "second"]

    run(main())


@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
@pytest.mark.parametrize("path", ["direct", "state machine"])
def test_callback_runs_when_a_receive_method_raises_for_the_disconnect(
    websocket_twin: ModuleType, method: str, path: str
) -> None:
    async def main() -> None:
        calls: list[int] = []
        cls = websocket_class(websocket_twin) if path == "direct" else _with_own_receive(websocket_twin)
        websocket = await _accepted(cls, DISCONNECT)
        websocket.on_disconnect(lambda: calls.append(1))
        with pytest.raises(WebSocketDisconnect) as raised:
            await getattr(websocket, method)()
        assert (raised.value.code, raised.value.reason) == (1001, "gone")
        assert calls == [1]
        with pytest.raises(RuntimeError):
            await getattr(websocket, method)()
        assert calls == [1]

    run(main())


def test_callback_registered_after_the_disconnect_is_never_called(websocket_twin: ModuleType) -> None:
    async def main() -> None:
        calls: list[int] = []
        websocket = await _accepted(websocket_class(websocket_twin), DISCONNECT)
        with pytest.raises(WebSocketDisconnect):
            await websocket.receive_text()
        websocket.on_disconnect(lambda: calls.append(1))
        with pytest.raises(RuntimeError):
            await websocket.receive_text()
        assert calls == []

    run(main())


def test_broadcast_uses_the_hook_on_the_asgi_path_and_leaves_receive_alone(websocket_twin: ModuleType) -> None:
    """A ``fastws.WebSocket`` subscriber on any ASGI server leaves its channels when the app reads the disconnect."""

    async def main() -> None:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async with Broadcast() as hub:
            websocket = websocket_class(websocket_twin)(_scope(), _script(DISCONNECT), send)
            await websocket.accept()
            original = websocket._receive
            await hub.subscribe("a", websocket)
            await hub.subscribe("b", websocket)
            assert websocket._receive is original
            await hub.publish("a", "one")
            await asyncio.sleep(0)  # a send other than uvicorn's runs in a task of its own (eager from 3.12)
            assert sent[-1] == {"type": "websocket.send", "text": "one"}
            assert (hub.subscribers("a"), hub.subscribers("b")) == (1, 1)
            with pytest.raises(WebSocketDisconnect):
                await websocket.receive_text()
            assert (hub.subscribers("a"), hub.subscribers("b")) == (0, 0)
            assert websocket._receive is original

    run(main())
