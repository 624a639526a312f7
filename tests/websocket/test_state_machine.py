"""Differential: the connection's states: ``close`` and raw ``send``/``receive`` in every state, states set by hand.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.websocket.harness import (
    CONNECT,
    PRELUDES,
    Message,
    Op,
    call,
    compare,
    disconnect,
    do,
    from_state,
    raised,
    text,
)

# ====================================================================== closing


@pytest.mark.parametrize("state", sorted(PRELUDES))
def test_close_in_every_state(websocket_twin: ModuleType, state: str) -> None:
    closes = [
        call("close"),
        call("close", 4001, "bye"),
        call("close", code=1011, reason=None),
        call("close", reason="r\xe9"),
    ]
    for op in closes:
        record = compare(websocket_twin, *from_state(state, [], [op, op, call("send_text", "x"), call("receive_text")]))
        assert len(record.steps) >= 3


def test_send_after_close_raises_websocket_disconnected(websocket_twin: ModuleType) -> None:
    ops = [call("send_text", "x"), call("send", {"type": "websocket.send"})]
    record = compare(websocket_twin, *from_state("closed", [], ops))
    assert raised(record) == ["WebSocketDisconnected", "WebSocketDisconnected"]


# ============================================================ raw send/receive

RAW_SEND_TYPES = [
    "websocket.accept",
    "websocket.send",
    "websocket.close",
    "websocket.http.response.start",
    "websocket.http.response.body",
    "http.response.start",
    "websocket.receive",
    "bogus",
]


@pytest.mark.parametrize("state", sorted(PRELUDES))
def test_raw_send_in_every_state(websocket_twin: ModuleType, state: str) -> None:
    for message_type in [*RAW_SEND_TYPES, None]:
        message: Message = {}
        if message_type is not None:
            message = {"type": message_type, "text": "t", "body": b"b", "status": 200}
        compare(websocket_twin, *from_state(state, [], [call("send", message), call("send", message)]))


@pytest.mark.parametrize("state", sorted(PRELUDES))
def test_raw_receive_in_every_state(websocket_twin: ModuleType, state: str) -> None:
    for message in [CONNECT, text("t"), disconnect(1001, "r"), {"type": "bogus"}, {}]:
        compare(websocket_twin, *from_state(state, [message, text("next")], [call("receive"), call("receive")]))


# Starlette tests membership in set literals, so an unhashable value raises
# ``TypeError`` (not its ``RuntimeError``); fastws must do the same.
@pytest.mark.parametrize(
    "state, op",
    [
        ("connecting", call("send", {"type": ["websocket.accept"]})),
        ("connected", call("send", {"type": ["websocket.send"]})),
        ("connected", call("send_json", 1, mode=["text"])),
        ("connected", call("receive_json", mode=["text"])),
        ("connected", call("receive")),
    ],
    ids=["send-connecting", "send-connected", "send_json-mode", "receive_json-mode", "receive-connected"],
)
def test_unhashable_type_or_mode(websocket_twin: ModuleType, state: str, op: Op) -> None:
    compare(websocket_twin, *from_state(state, [{"type": ["websocket.receive"]}], [op]))


def set_state(attr: str, name: str) -> Op:
    """Assign a state by hand, using the class's own enum (as Starlette's tests do)."""
    return do(f"{attr} = {name}", lambda ws: setattr(ws, attr, type(getattr(ws, attr))[name]))


@pytest.mark.parametrize("app_state", ["CONNECTING", "CONNECTED", "DISCONNECTED", "RESPONSE"])
@pytest.mark.parametrize("client_state", ["CONNECTING", "CONNECTED", "DISCONNECTED"])
def test_states_assigned_by_hand(websocket_twin: ModuleType, client_state: str, app_state: str) -> None:
    ops = [
        set_state("client_state", client_state),
        set_state("application_state", app_state),
        call("send_text", "x"),
        call("receive_text"),
        call("close"),
    ]
    compare(websocket_twin, [text("t"), CONNECT, disconnect()], ops)
