"""Differential: the HTTP response state (``websocket.http.response.*``) and ``send_denial_response``.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.websocket.harness import (
    BODY_END,
    BODY_MORE,
    CONNECT,
    DROP,
    START,
    Op,
    call,
    compare,
    do,
    from_state,
    make_response,
    make_scope,
    text,
)


@pytest.mark.parametrize(
    "ops",
    [
        [call("send", START), call("send", BODY_MORE), call("send", BODY_MORE), call("send", BODY_END)],
        [call("send", START), call("send", {"type": "websocket.http.response.body", "more_body": False})],
        [call("send", START), call("send", {"type": "websocket.http.response.body"}), call("send", BODY_END)],
        [call("send", START), call("send", START)],
        [call("send", START), call("accept")],
        [call("send", START), call("close")],
        [call("send", START), call("send_text", "x")],
        [call("send", START), call("receive_text")],
        [call("send", START), call("receive")],
        [call("send", START), call("send", {"type": "http.response.body", "body": b""})],
        [call("send", START), call("send", BODY_END), call("send", BODY_END)],
    ],
    ids=[f"response-{i}" for i in range(11)],
)
def test_response_state(websocket_twin: ModuleType, ops: list[Op]) -> None:
    compare(websocket_twin, [CONNECT, text("x")], ops)


@pytest.mark.parametrize("kind", ["plain", "json", "bytes", "streaming"])
@pytest.mark.parametrize("state", ["connecting", "connect-received", "connected", "closed", "response-done"])
def test_send_denial_response(websocket_twin: ModuleType, kind: str, state: str) -> None:
    op = do(f"send_denial_response({kind})", lambda ws: ws.send_denial_response(make_response(kind)))
    record = compare(websocket_twin, *from_state(state, [], [op, call("send_text", "x")]))
    if state == "connecting":
        assert record.sent[0]["type"] == "websocket.http.response.start"
        assert record.steps[0][1][0] == "ok"


@pytest.mark.parametrize(
    "extensions",
    [DROP, {}, {"websocket.http.response": {}}, {"other": {}}],
    ids=["no-extensions-key", "empty", "supported", "other"],
)
def test_send_denial_response_needs_the_extension(websocket_twin: ModuleType, extensions: Any) -> None:
    op = do("send_denial_response", lambda ws: ws.send_denial_response(make_response("plain")))
    compare(websocket_twin, [], [op], scope=make_scope(extensions=extensions))
