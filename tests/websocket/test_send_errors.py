"""Differential: a ``send`` that raises (the peer gone, or any error) after accept and in other states.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

from types import ModuleType

import pytest
from starlette.responses import Response

from tests.websocket.harness import BODY_END, CONNECT, START, Op, call, compare, do, fail_on, from_state, raised, text

SEND_OPS = [
    call("send_text", "x"),
    call("send_bytes", b"x"),
    call("send_json", [1]),
    call("send_json", [1], mode="binary"),
    call("send", {"type": "websocket.send", "text": "raw"}),
    call("close", 4000, "c"),
]


@pytest.mark.parametrize(
    "error", [OSError, ConnectionResetError, BrokenPipeError, ValueError], ids=lambda e: e.__name__
)
@pytest.mark.parametrize("op", SEND_OPS, ids=lambda op: op[0])
def test_send_raising_after_accept(websocket_twin: ModuleType, op: Op, error: type[BaseException]) -> None:
    record = compare(
        websocket_twin,
        *from_state("connected", [text("x")], [op, op, call("receive_text")]),
        send_error=fail_on("websocket.close" if op[0].startswith("close") else "websocket.send", lambda: error("boom")),
    )
    assert raised(record)


@pytest.mark.parametrize("error", [OSError, ValueError], ids=lambda e: e.__name__)
@pytest.mark.parametrize(
    "ops",
    [
        [call("accept"), call("send_text", "x")],
        [call("close"), call("close")],
        [call("send", START), call("send", BODY_END), call("send", BODY_END)],
        [do("denial", lambda ws: ws.send_denial_response(Response(b"no", status_code=403)))],
    ],
    ids=lambda ops: ops[0][0],
)
def test_send_raising_outside_connected_state(
    websocket_twin: ModuleType, ops: list[Op], error: type[BaseException]
) -> None:
    record = compare(websocket_twin, [CONNECT], ops, send_error=fail_on(None, lambda: error("boom")))
    assert raised(record)[0] == error.__name__
