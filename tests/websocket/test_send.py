"""Differential: sending (``send_text``, ``send_bytes``, ``send_json`` of every kind of value) in every state.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from types import ModuleType
from typing import Any

import pytest

from tests.websocket.harness import PRELUDES, call, compare, from_state


class Color(enum.IntEnum):
    RED = 1


class Num(float):
    def __repr__(self) -> str:
        return "not-used"


class Name(str):
    pass


class Tagged(dict):  # type: ignore[type-arg]
    pass


_circular: list[Any] = []
_circular.append(_circular)


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


JSON_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**64,
    -(2**70),
    1.5,
    -0.0,
    1e16,
    1e-7,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    "ascii",
    "caf\xe9 \u2603 \U0001f600",
    '\x00\x1f"\\\n\r\t\b\f\u2028\x7f/',
    "\ud800",
    {"k": "\udfff"},
    [],
    {},
    (1, "two", None),
    {"a": [1, {"b": None, "c": [True, 2.5]}]},
    {1: "int", 1.5: "float", True: "bool", None: "none", "s": "str"},  # noqa: F601 - True and 1: one key
    {float("nan"): 1, float("inf"): 2},
    Color.RED,
    {Color.RED: Color.RED},
    Num(2.5),
    Name("sub"),
    {Name("k"): Name("v")},
    Tagged(x=1),
    OrderedDict(b=1, a=2),
    nested(150),
    nested(250),
    nested(5000),
    _circular,
    {(1, 2): 3},
    {1, 2},
    b"bytes",
    object(),
    [1, object()],
]


@pytest.mark.parametrize("value", JSON_VALUES, ids=lambda v: type(v).__name__)
def test_send_json(websocket_twin: ModuleType, value: Any) -> None:
    ops = [
        call("send_json", value),
        call("send_json", value, mode="binary"),
        call("send_json", value, "text"),
        call("send_json", value, mode="bad"),
    ]
    record = compare(websocket_twin, *from_state("connected", [], ops))
    assert len(record.steps) == 5


SEND_IN_STATE_OPS = [
    call("send_text", "h\xe9llo"),
    call("send_text", ""),
    call("send_bytes", b"\x00\xff"),
    call("send_bytes", b""),
    call("send_json", {"a": [1, 2]}),
    call("send_json", {"a": "\u2603"}, mode="binary"),
    call("send_json", {"a": 1}, mode="bad"),
    call("send_json", {"a": 1}, mode="TEXT"),
    call("send_json", object()),
    call("send_json", object(), mode="binary"),
    call("send_json", "\ud800", mode="binary"),
    call("send_json", "\ud800", mode="text"),
    call("send_json", _circular),
]


@pytest.mark.parametrize("state", sorted(PRELUDES))
def test_send_in_every_state(websocket_twin: ModuleType, state: str) -> None:
    for op in SEND_IN_STATE_OPS:
        compare(websocket_twin, *from_state(state, [], [op, op]))
