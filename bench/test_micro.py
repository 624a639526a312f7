"""Microbenchmarks: fastws (compiled, pure) against Starlette, per operation.

Run: ``pytest bench/ --benchmark-group-by=group`` (see README). Each group
holds the same operation on the same input for every implementation.
Coroutines are driven without an event loop (their awaits never suspend),
so the figures are the WebSocket layer's own cost.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest

from .inputs import JSON_PAYLOAD, JSON_PAYLOADS, TEXT_PAYLOADS, handshake_scope


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine whose awaits complete immediately."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the coroutine suspended")


async def _discard(message: Any) -> None:
    return None


def _replying(message: dict[str, Any]) -> Any:
    async def receive() -> dict[str, Any]:
        return message

    return receive


def _connected(cls: Any, receive: Any = None) -> Any:
    """A WebSocket of ``cls`` past its accept, sending into the void."""
    connect = {"type": "websocket.connect"}
    ws = cls(handshake_scope(), _replying(connect), _discard)
    drive(ws.accept())
    if receive is not None:
        ws._receive = receive
    return ws


def test_connection_data(benchmark: Any, websocket_class: Any) -> None:
    """Construct, then read headers, URL parts and query parameters."""
    benchmark.group = "connection data"
    scope = handshake_scope()
    receive = _replying({"type": "websocket.connect"})

    def work() -> Any:
        ws = websocket_class(scope, receive, _discard)
        headers = ws.headers
        url = ws.url
        params = ws.query_params
        return (
            headers["sec-websocket-key"],
            headers.get("origin"),
            url.path,
            url.port,
            url.hostname,
            params["room"],
            params.getlist("tag"),
        )

    assert work()[2:] == ("/ws/rooms/lounge", 8443, "chat.example.com", "café lounge", ["python", "asgi", "fast"])
    benchmark(work)


def test_send_json(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "send_json"
    ws = _connected(websocket_class)
    benchmark(lambda: drive(ws.send_json(JSON_PAYLOAD)))


def test_send_json_binary(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "send_json mode=binary"
    ws = _connected(websocket_class)
    benchmark(lambda: drive(ws.send_json(JSON_PAYLOAD, mode="binary")))


@pytest.mark.parametrize("size", ["4KiB", "256KiB"])
def test_send_json_sizes(benchmark: Any, websocket_class: Any, size: str) -> None:
    benchmark.group = f"send_json {size}"
    ws = _connected(websocket_class)
    payload = JSON_PAYLOADS[size]
    benchmark(lambda: drive(ws.send_json(payload)))


def test_receive_json(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "receive_json"
    import json

    message = {"type": "websocket.receive", "text": json.dumps(JSON_PAYLOAD)}
    ws = _connected(websocket_class, _replying(message))
    assert drive(ws.receive_json()) == JSON_PAYLOAD
    benchmark(lambda: drive(ws.receive_json()))


def test_send_text(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "send_text"
    ws = _connected(websocket_class)
    text = TEXT_PAYLOADS["32B"]
    benchmark(lambda: drive(ws.send_text(text)))


def test_receive_text(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "receive_text"
    message = {"type": "websocket.receive", "text": TEXT_PAYLOADS["32B"]}
    ws = _connected(websocket_class, _replying(message))
    assert drive(ws.receive_text()) == message["text"]
    benchmark(lambda: drive(ws.receive_text()))
