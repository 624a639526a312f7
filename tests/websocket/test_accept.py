"""Differential: ``accept`` (subprotocol, headers) and the ``websocket.connect`` that must come first.

Starlette is the oracle (``tests.websocket.harness``); accepting a headers
mapping is a deliberate difference, tested on fastws alone.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from starlette import websockets as sws

from tests.websocket.harness import (
    CONNECT,
    Message,
    binary,
    call,
    compare,
    disconnect,
    fast_class,
    raised,
    run_script,
    text,
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"subprotocol": "chat"},
        {"subprotocol": None, "headers": None},
        {"headers": [(b"x-a", b"1"), (b"x-a", b"2")]},
        {"headers": ()},
        {"headers": []},
        {"headers": {}},
        {"subprotocol": "superchat", "headers": [(b"set-cookie", b"k=v")]},
    ],
    ids=lambda kw: repr(kw),
)
def test_accept(websocket_twin: ModuleType, kwargs: dict[str, Any]) -> None:
    record = compare(websocket_twin, [CONNECT], [call("accept", **kwargs), call("accept", **kwargs)])
    assert record.consumed == 1
    assert record.sent[0]["type"] == "websocket.accept"
    assert raised(record) == ["RuntimeError"]  # the second accept


def test_accept_passes_header_list_through_unchanged(websocket_twin: ModuleType) -> None:
    for cls in (sws.WebSocket, fast_class(websocket_twin)):
        headers = [(b"x-a", b"1")]
        record = run_script(cls, [CONNECT], [call("accept", headers=headers)])
        assert record.raw_sent[0]["headers"] is headers, cls


def test_accept_after_connect_already_received_does_not_receive_again(websocket_twin: ModuleType) -> None:
    record = compare(websocket_twin, [CONNECT, text("x")], [call("receive"), call("accept"), call("receive_text")])
    assert record.consumed == 2


def test_accept_after_client_disconnect(websocket_twin: ModuleType) -> None:
    compare(
        websocket_twin,
        [CONNECT, disconnect(1001, "gone")],
        [call("receive"), call("receive"), call("accept"), call("send_text", "late"), call("receive_text")],
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Token": "abc", "Set-Cookie": "a=1"},
        {"x-latin": "caf\xe9"},
        OrderedDict([("B", "2"), ("a", "1")]),
    ],
)
def test_accept_headers_mapping_fastws_only(websocket_twin: ModuleType, headers: Mapping[str, str]) -> None:
    """Deliberate difference: a mapping is converted to ``[(bytes, bytes)]``."""
    as_list = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    ours = run_script(fast_class(websocket_twin), [CONNECT], [call("accept", "chat", headers=headers)])
    theirs = run_script(sws.WebSocket, [CONNECT], [call("accept", "chat", headers=as_list)])
    assert ours.sent[0]["headers"] == as_list
    assert all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in ours.sent[0]["headers"])
    assert ours.sent == theirs.sent
    assert [s[1:] for s in ours.steps] == [s[1:] for s in theirs.steps]


def test_accept_headers_mapping_not_latin1_fastws_only(websocket_twin: ModuleType) -> None:
    ours = run_script(fast_class(websocket_twin), [CONNECT], [call("accept", headers={"x": "\u2603"})])
    assert ours.steps[0][1][1] == "UnicodeEncodeError"
    assert ours.sent == []


@pytest.mark.parametrize(
    "first",
    [
        text("hi"),
        binary(b"hi"),
        disconnect(),
        disconnect(1001, "x"),
        {"type": "http.request"},
        {"type": "websocket.accept"},
        {},
    ],
    ids=repr,
)
def test_connect_must_come_first(websocket_twin: ModuleType, first: Message) -> None:
    for ops in (
        [call("accept"), call("accept")],
        [call("receive"), call("receive")],
        [call("receive_text")],
    ):
        compare(websocket_twin, [first, CONNECT], ops)
    record = compare(websocket_twin, [first], [call("accept")])
    assert raised(record)
