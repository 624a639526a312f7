"""Bad or huge input to query strings and ``QueryParams`` never crashes, and both twins still agree.

Megabyte query strings, names and values around buffer sizes, odd types;
every expectation is computed in the same test from Starlette, the stdlib
or the pure twin.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette import datastructures as sd

from fastws import _url
from tests.helpers.twins import outcome

MB = 1_000_000


def test_megabyte_query_string_with_100k_params(url_twin: ModuleType) -> None:
    qs = "&".join(f"k{i % 1000}=v%20{i}+x" for i in range(100_000))
    assert len(qs) > MB
    assert url_twin.parse_query(qs) == parse_qsl(qs, keep_blank_values=True)
    ours, theirs = url_twin.QueryParams(qs), sd.QueryParams(qs)
    assert ours.multi_items() == theirs.multi_items()
    assert list(ours.items()) == list(theirs.items())
    assert ours.getlist("k999") == theirs.getlist("k999")
    assert str(ours) == str(theirs)
    raw = qs.encode("latin-1")
    assert url_twin.QueryParams(raw).multi_items() == sd.QueryParams(raw).multi_items()


def test_megabyte_single_values(url_twin: ModuleType) -> None:
    values = ["a=" + "x" * MB, "%41" * (MB // 3), "+" * MB, "&" * MB, "=" * MB, "%" * MB, "\xe9" * MB]
    for qs in [*values, "%C3%A9" * 200_000]:
        assert url_twin.parse_query(qs) == parse_qsl(qs, keep_blank_values=True)
        assert url_twin.QueryParams(qs).multi_items() == sd.QueryParams(qs).multi_items()


def test_query_names_and_values_around_buffer_sizes(url_twin: ModuleType) -> None:
    pieces = ["a", "%41", "+", "%C3%A9", "%", "%4", "%zz", "%e2%82%ac"]
    rng = random.Random(7)
    for size in [*range(240, 275), 500, 511, 512, 513, 1023, 1024, 1025, 4096, 65537]:
        for _ in range(3):
            text = ""
            while len(text) < size:
                text += rng.choice(pieces)
            text = text[:size]
            for qs in (text, f"{text}={text}", f"k={text}&{text}&=x", text.replace("%", "&")):
                assert url_twin.parse_query(qs) == parse_qsl(qs, keep_blank_values=True)
                raw = qs.encode("latin-1")
                ours, theirs = url_twin.QueryParams(raw), sd.QueryParams(raw)
                assert (ours.multi_items(), list(ours.items())) == (theirs.multi_items(), list(theirs.items()))


@pytest.mark.parametrize("value", [b"a=1", bytearray(b"a=1")], ids=["bytes", "bytearray"])
def test_parse_query_bytes_twins_agree(url_twin: ModuleType, value: Any) -> None:
    assert outcome(lambda: url_twin.parse_query(value)) == outcome(lambda: _url.PURE.parse_query(value))


# Regression (found by this suite, fixed in src): parse_query on None/int/list: the compiled twin raises
# TypeError (typed `str qs not None`), the pure twin AttributeError (qs.split); e.g. parse_query(None) or
# parse_query(5)
@pytest.mark.parametrize("value", [None, 5, ["a=1"]], ids=["None", "int", "list"])
def test_parse_query_odd_types_twins_agree(url_twin: ModuleType, value: Any) -> None:
    assert outcome(lambda: url_twin.parse_query(value)) == outcome(lambda: _url.PURE.parse_query(value))


# Regression (found by this suite, fixed in src): colliding non-str keys (True/1, 1/1.0): Starlette builds
# its dict from the original keys and only then str()s them.
@pytest.mark.parametrize(
    "items", [[(True, "a"), (1, "b")], [(1, "a"), (1.0, "b")], [(0, "a"), (False, "b"), (0.0, "c")]], ids=repr
)
def test_query_params_colliding_non_str_keys(url_twin: ModuleType, items: list[tuple[Any, str]]) -> None:
    ours, theirs = url_twin.QueryParams(items), sd.QueryParams(items)
    assert ours.multi_items() == theirs.multi_items()
    assert list(ours.items()) == list(theirs.items())
    assert len(ours) == len(theirs)


@pytest.mark.parametrize(
    "args",
    [
        ([("a", 1), (2, None)],),
        ({"a": 1, 2: b"x"},),
        ([],),
        ("",),
        (b"",),
        (None,),
        (0,),
        ([("a", "b", "c")],),
        ([("a",)],),
        (["ab"],),
        (5,),
        (sd.QueryParams("a=1&a=2"),),
        (sd.MultiDict([("a", "1"), ("a", "2")]),),
    ],
    ids=repr,
)
def test_query_params_odd_inputs_behave_like_starlette(url_twin: ModuleType, args: tuple[Any, ...]) -> None:
    def view(cls: Any, **kwargs: Any) -> Any:
        q = cls(*args, **kwargs)
        return (q.multi_items(), list(q.items()), str(q), repr(q), len(q))

    assert outcome(lambda: view(url_twin.QueryParams)) == outcome(lambda: view(sd.QueryParams))
    assert outcome(lambda: view(url_twin.QueryParams, z="1", a=2)) == outcome(lambda: view(sd.QueryParams, z="1", a=2))
