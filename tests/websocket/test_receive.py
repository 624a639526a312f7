"""Differential: receiving (``receive_*``, disconnect code and reason, the ``iter_*`` iterators) in every state.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.websocket.harness import (
    CONNECT,
    PRELUDES,
    Message,
    binary,
    call,
    collect,
    compare,
    disconnect,
    from_state,
    raised,
    text,
)

RECEIVE_OPS = [
    call("receive_text"),
    call("receive_bytes"),
    call("receive_json"),
    call("receive_json", mode="binary"),
    call("receive_json", "text"),
    call("receive_json", mode="bad"),
    call("receive"),
]

INCOMING = [
    text("hi"),
    text(""),
    binary(b"\x00\xff"),
    text('{"a": [1, 2.5, null, "\\u2603"]}'),
    binary('{"a": "\u2603"}'.encode()),
    text("{bad"),
    binary(b"\xff\xfe"),
    binary(b"not json"),
    text(None),
    {"type": "websocket.receive", "text": "both", "bytes": b"both"},
    {"type": "websocket.receive"},
    disconnect(1001, "bye"),
    disconnect(1000),
    disconnect(4000, None),
    disconnect(1005, ""),
    {"type": "websocket.disconnect", "reason": "no code"},
    CONNECT,
    {"type": "websocket.send", "text": "wrong way"},
    {"type": "http.disconnect"},
    {},
]


@pytest.mark.parametrize("message", INCOMING, ids=repr)
def test_receive_after_accept(websocket_twin: ModuleType, message: Message) -> None:
    for op in RECEIVE_OPS:
        # The second call shows the state the first one left behind.
        record = compare(websocket_twin, *from_state("connected", [message, text('"again"')], [op, op]))
        assert record.consumed >= 1


@pytest.mark.parametrize("state", sorted(PRELUDES))
def test_receive_in_every_state(websocket_twin: ModuleType, state: str) -> None:
    for op in RECEIVE_OPS:
        compare(websocket_twin, *from_state(state, [text('"x"'), disconnect(1002, "r")], [op, op, op]))


def test_receive_nothing_left(websocket_twin: ModuleType) -> None:
    record = compare(websocket_twin, *from_state("connected", [], [call("receive_text")]))
    assert raised(record) == ["OutOfMessages"]


def test_disconnect_code_and_reason(websocket_twin: ModuleType) -> None:
    record = compare(
        websocket_twin, *from_state("connected", [disconnect(4321, "custom reason")], [call("receive_text")])
    )
    assert record.steps[-1][1][4] == (4321, "custom reason")


@pytest.mark.parametrize("name", ["iter_text", "iter_bytes", "iter_json"])
@pytest.mark.parametrize(
    "messages",
    [
        [text('"a"'), text("[1]"), disconnect(1001, "done")],
        [binary(b"a"), binary(b"b"), disconnect()],
        [disconnect()],
        [text('"a"'), binary(b"b"), disconnect()],
        [text("{bad"), disconnect()],
        [text('"a"'), CONNECT],
        [text('"a"')],
    ],
    ids=repr,
)
def test_iterators(websocket_twin: ModuleType, name: str, messages: list[Message]) -> None:
    compare(
        websocket_twin, *from_state("connected", messages, [collect(name), collect(name), call("send_text", "after")])
    )


@pytest.mark.parametrize("state", ["connecting", "closed", "response", "client-gone"])
@pytest.mark.parametrize("name", ["iter_text", "iter_bytes", "iter_json"])
def test_iterators_in_other_states(websocket_twin: ModuleType, name: str, state: str) -> None:
    record = compare(websocket_twin, *from_state(state, [text('"a"'), disconnect()], [collect(name)]))
    assert raised(record)
