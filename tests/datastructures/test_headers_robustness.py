"""Bad or huge input to ``Headers`` never crashes, and both twins still agree with Starlette.

Megabyte values, ten thousand headers, odd header lists and mappings; every
expectation is computed in the same test from Starlette.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from starlette import datastructures as sd

from tests.helpers import views
from tests.helpers.twins import outcome

MB = 1_000_000


def headers_view(h: Any, names: list[Any]) -> dict[str, Any]:
    """``tests.helpers.views.headers_view``, and the raw list of a mutable copy."""
    view = views.headers_view(h, names)
    view["mutablecopy raw"] = outcome(lambda: h.mutablecopy().raw)
    return view


def test_megabyte_header_values(headers_twin: ModuleType) -> None:
    big = b"v" * MB
    high = bytes(range(256)) * (MB // 256)
    raw = [(b"x-big", big), (b"host", b"example.com"), (b"x-high", high), (b"x-big", b"small"), (b"x" * MB, b"k")]
    names = ["x-big", "X-BIG", "host", "x-high", "x" * MB, "X" * MB, "missing"]
    assert headers_view(headers_twin.Headers(raw=list(raw)), names) == headers_view(sd.Headers(raw=list(raw)), names)
    h = headers_twin.Headers(raw=list(raw))
    assert h["x-big"] == big.decode("latin-1")
    assert h["x-high"] == high.decode("latin-1")
    assert h.getlist("x-big") == [big.decode("latin-1"), "small"]


def test_ten_thousand_headers(headers_twin: ModuleType) -> None:
    raw = [(f"x-header-{i}".encode(), f"value-{i}".encode()) for i in range(10_000)]
    raw += [(b"x-dup", str(i).encode()) for i in range(100)]
    names = ["x-header-0", "X-Header-9999", "x-header-5000", "x-dup", "missing"]
    ours, theirs = headers_twin.Headers(raw=list(raw)), sd.Headers(raw=list(raw))
    assert headers_view(ours, names) == headers_view(theirs, names)
    assert ours["X-HEADER-9999"] == "value-9999"
    assert len(ours.getlist("x-dup")) == 100
    assert ours == headers_twin.Headers(raw=raw[::-1])


def test_ten_thousand_headers_via_scope(headers_twin: ModuleType) -> None:
    raw = (*tuple((f"k{i}".encode(), b"v") for i in range(10000)), (b"host", b"h" * MB))
    ours = headers_twin.Headers(scope={"headers": raw})
    theirs = sd.Headers(scope={"headers": raw})
    assert ours.raw == theirs.raw
    assert ours["host"] == theirs["host"]


ODD_HEADER_LISTS: dict[str, list[Any]] = {
    "lists instead of tuples": [[b"host", b"h"], [b"a", b"1"], [b"A", b"2"]],
    "bytearray keys": [(bytearray(b"host"), b"h"), (bytearray(b"a"), b"1")],
    "bytearray values": [(b"host", bytearray(b"h")), (b"a", bytearray(b"\xff"))],
    "memoryview values": [(b"a", memoryview(b"1"))],
    "str values": [(b"host", "h"), (b"a", "1")],
    "str keys": [("host", b"h"), ("a", b"1")],
    "str keys and values": [("host", "h")],
    "three-tuples": [(b"a", b"1", b"x")],
    "one-tuples": [(b"a",)],
    "None item": [(b"a", b"1"), None],
    "None value": [(b"a", None)],
    "int key": [(1, b"1")],
    "bytes item": [b"ab"],
    "str item": ["ab"],
    "mixed good and bad": [(b"a", b"1"), [b"b", b"2"], (bytearray(b"c"), "3"), (b"d", b"4", b"!")],
}
ODD_NAMES: list[Any] = ["a", "A", "b", "c", "d", "host", "missing", "", "\u20ac", 3, None, b"a"]


@pytest.mark.parametrize("raw", list(ODD_HEADER_LISTS.values()), ids=list(ODD_HEADER_LISTS))
def test_odd_header_lists_behave_like_starlette(headers_twin: ModuleType, raw: list[Any]) -> None:
    expected = headers_view(sd.Headers(raw=list(raw)), ODD_NAMES)
    assert headers_view(headers_twin.Headers(raw=list(raw)), ODD_NAMES) == expected
    scoped = {"headers": list(raw)}
    assert headers_view(headers_twin.Headers(scope=scoped), ODD_NAMES) == headers_view(
        sd.Headers(scope={"headers": list(raw)}), ODD_NAMES
    )


@pytest.mark.parametrize(
    "mapping",
    [{"A": "b"}, {"\xe9": "\xff"}, {"\u20ac": "x"}, {"a": "\u20ac"}, {1: "x"}, {"a": 1}, {"a": None}],
    ids=repr,
)
def test_odd_header_mappings_behave_like_starlette(headers_twin: ModuleType, mapping: dict[Any, Any]) -> None:
    theirs = outcome(lambda: headers_view(sd.Headers(headers=mapping), ODD_NAMES))
    ours = outcome(lambda: headers_view(headers_twin.Headers(headers=mapping), ODD_NAMES))
    assert ours == theirs


# Regression (found by this suite, fixed in src): compiled Headers stores raw in a `cdef public list`:
# Headers(raw=((b'a', b'b'),)) raises TypeError('Expected list, got tuple'); Starlette (and the pure twin)
# accept any sequence
@pytest.mark.parametrize("make_raw", [tuple, lambda pairs: (p for p in pairs)], ids=["tuple", "generator"])
def test_non_list_raw_behaves_like_starlette(headers_twin: ModuleType, make_raw: Callable[[Any], Any]) -> None:
    pairs = [(b"host", b"h"), (b"a", b"1"), (b"a", b"2")]
    expected = headers_view(sd.Headers(raw=make_raw(pairs)), ODD_NAMES)
    assert outcome(lambda: headers_view(headers_twin.Headers(raw=make_raw(pairs)), ODD_NAMES)) == ("ok", expected)
