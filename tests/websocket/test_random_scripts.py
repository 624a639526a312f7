"""Differential, random: hypothesis scripts of ops and messages, and random ``send_json`` values, on each live twin.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.twins import live_websocket_twins
from tests.websocket.harness import (
    BODY_END,
    BODY_MORE,
    CONNECT,
    START,
    Message,
    Op,
    binary,
    call,
    collect,
    compare,
    disconnect,
    do,
    fail_on,
    make_response,
    text,
)

SCRIPT_OPS: list[Op] = [
    call("accept"),
    call("accept", "chat", [(b"x", b"y")]),
    call("receive"),
    call("receive_text"),
    call("receive_bytes"),
    call("receive_json"),
    call("receive_json", mode="binary"),
    call("send_text", "t"),
    call("send_bytes", b"b"),
    call("send_json", {"j": 1}),
    call("send_json", {"j": 1}, mode="binary"),
    call("close"),
    call("close", 4000, "why"),
    call("send", START),
    call("send", BODY_MORE),
    call("send", BODY_END),
    call("send", {"type": "websocket.send", "bytes": b"raw"}),
    collect("iter_text"),
    do("send_denial_response", lambda ws: ws.send_denial_response(make_response("plain"))),
]

SCRIPT_MESSAGES: list[Message] = [
    CONNECT,
    text('"t"'),
    binary(b'"b"'),
    disconnect(1001, "r"),
    disconnect(),
    {"type": "bogus"},
]

SEND_ERRORS: list[Any] = [
    None,
    fail_on("websocket.send", lambda: ConnectionResetError("reset")),
    fail_on("websocket.close", lambda: OSError("closed")),
    fail_on(None, lambda: ValueError("any")),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(st.sampled_from(SCRIPT_OPS), max_size=8),
    incoming=st.lists(st.sampled_from(SCRIPT_MESSAGES), max_size=6),
    send_error=st.sampled_from(SEND_ERRORS),
)
def test_random_scripts(ops: list[Op], incoming: list[Message], send_error: Any) -> None:
    for websocket_twin in live_websocket_twins():
        compare(websocket_twin, incoming, ops, send_error=send_error)


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.one_of(st.characters(), st.sampled_from(["\ud800", "\udc00", '"', "\\", "\x00", "\u2028"]))),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(
            st.one_of(st.text(max_size=5), st.integers(), st.floats(), st.booleans(), st.none()), children, max_size=4
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_send_json_random_values(value: Any) -> None:
    ops = [call("accept"), call("send_json", value), call("send_json", value, mode="binary")]
    for websocket_twin in live_websocket_twins():
        compare(websocket_twin, [CONNECT], ops)
