"""Microbenchmarks: fastws (compiled, pure) against Starlette, per operation.

Run: ``pytest bench/ --benchmark-group-by=group`` (see docs/benchmarks.md). Each group
holds the same operation on the same input for every implementation.

Async methods are awaited ``OPS`` times in a row from one coroutine, as an
app's loop awaits them, and that coroutine is driven without an event loop
(the ASGI send/receive used here never suspend): the figures are the
WebSocket layer's own cost. One benchmark call is ``OPS`` operations;
``extra_info["ops"]`` says so and ``bench.table`` divides by it.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest

from .inputs import JSON_PAYLOAD, JSON_PAYLOADS, TEXT_PAYLOADS, handshake_scope

OPS = 100


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


def bench_awaits(benchmark: Any, make: Any, ops: int = OPS) -> None:
    """Benchmark ``await make()``, ``ops`` times per call, from one coroutine."""

    async def loop() -> None:
        for _ in range(ops):
            await make()

    benchmark.extra_info["ops"] = ops
    benchmark(lambda: drive(loop()))


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
    bench_awaits(benchmark, lambda: ws.send_json(JSON_PAYLOAD))


def test_send_json_binary(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "send_json mode=binary"
    ws = _connected(websocket_class)
    bench_awaits(benchmark, lambda: ws.send_json(JSON_PAYLOAD, mode="binary"))


@pytest.mark.parametrize("size", ["4KiB", "256KiB"])
def test_send_json_sizes(benchmark: Any, websocket_class: Any, size: str) -> None:
    benchmark.group = f"send_json {size}"
    ws = _connected(websocket_class)
    payload = JSON_PAYLOADS[size]
    bench_awaits(benchmark, lambda: ws.send_json(payload), ops=10 if size == "4KiB" else 1)


def test_receive_json(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "receive_json"
    import json

    message = {"type": "websocket.receive", "text": json.dumps(JSON_PAYLOAD)}
    ws = _connected(websocket_class, _replying(message))
    assert drive(ws.receive_json()) == JSON_PAYLOAD
    bench_awaits(benchmark, ws.receive_json)


def test_send_text(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "send_text"
    ws = _connected(websocket_class)
    text = TEXT_PAYLOADS["32B"]
    bench_awaits(benchmark, lambda: ws.send_text(text))


def test_receive_text(benchmark: Any, websocket_class: Any) -> None:
    benchmark.group = "receive_text"
    message = {"type": "websocket.receive", "text": TEXT_PAYLOADS["32B"]}
    ws = _connected(websocket_class, _replying(message))
    assert drive(ws.receive_text()) == message["text"]
    bench_awaits(benchmark, ws.receive_text)
