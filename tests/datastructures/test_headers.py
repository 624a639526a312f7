"""Headers and MutableHeaders: both twins, compared with Starlette's."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from starlette import datastructures as sd

RAW = [
    (b"host", b"example.com:8000"),
    (b"user-agent", b"Mozilla/5.0"),
    (b"cookie", b"a=1"),
    (b"cookie", b"b=2"),
    (b"x-latin", "caf\xe9".encode("latin-1")),
]


def both(headers_twin: ModuleType, **kwargs: Any) -> tuple[Any, Any]:
    return headers_twin.Headers(**kwargs), sd.Headers(**kwargs)


def test_lookup_is_case_insensitive_and_first_wins(headers_twin: ModuleType) -> None:
    ours, theirs = both(headers_twin, raw=list(RAW))
    for key in ["host", "HOST", "Cookie", "x-latin", "missing"]:
        assert (key in ours) == (key in theirs)
        assert ours.get(key) == theirs.get(key)
        assert ours.getlist(key) == theirs.getlist(key)
    assert ours["cookie"] == "a=1"
    assert ours["X-Latin"] == "caf\xe9"
    with pytest.raises(KeyError) as excinfo:
        ours["missing"]
    assert excinfo.value.args == ("missing",)


def test_views_len_and_raw(headers_twin: ModuleType) -> None:
    ours, theirs = both(headers_twin, raw=list(RAW))
    assert ours.keys() == theirs.keys()
    assert ours.values() == theirs.values()
    assert ours.items() == theirs.items()
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs) == 5
    assert ours.raw == RAW and ours.raw is not ours.raw
    assert repr(ours) == repr(theirs)
    assert isinstance(ours, Mapping)


def test_from_mapping_and_scope(headers_twin: ModuleType) -> None:
    ours, theirs = both(headers_twin, headers={"Content-Type": "text/plain", "X-A": "b"})
    assert ours.raw == theirs.raw
    assert repr(ours) == repr(theirs)
    scope = {"headers": tuple(RAW)}
    h = headers_twin.Headers(scope=scope)
    assert isinstance(scope["headers"], list) and h.raw == RAW
    assert headers_twin.Headers() == headers_twin.Headers(raw=[])


def test_equality_ignores_order(headers_twin: ModuleType) -> None:
    a = headers_twin.Headers(raw=[(b"a", b"1"), (b"b", b"2")])
    b = headers_twin.Headers(raw=[(b"b", b"2"), (b"a", b"1")])
    assert a == b
    assert a != headers_twin.Headers(raw=[(b"a", b"1")])
    assert a != {"a": "1", "b": "2"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"a": "b"}, "raw": []},
        {"headers": {"a": "b"}, "scope": {"headers": []}},
        {"raw": [], "scope": {"headers": []}},
    ],
)
def test_conflicting_sources_assert_like_starlette(headers_twin: ModuleType, kwargs: dict[str, Any]) -> None:
    with pytest.raises(AssertionError) as ours:
        headers_twin.Headers(**kwargs)
    with pytest.raises(AssertionError) as theirs:
        sd.Headers(**kwargs)
    assert str(ours.value) == str(theirs.value)


def test_non_latin1_key_fails_like_starlette(headers_twin: ModuleType) -> None:
    ours, theirs = both(headers_twin, raw=list(RAW))
    for bad in ["\u20ac", 3]:
        with pytest.raises(Exception) as mine:
            ours[bad]
        with pytest.raises(Exception) as ref:
            theirs[bad]
        assert type(mine.value) is type(ref.value)


def test_mutablecopy_behaves_like_starlette(headers_twin: ModuleType) -> None:
    ours, theirs = both(headers_twin, raw=list(RAW))
    m_ours, m_theirs = ours.mutablecopy(), theirs.mutablecopy()
    for m in (m_ours, m_theirs):
        m["Cookie"] = "c=3"
        m.append("X-Dup", "1")
        m.append("x-dup", "2")
        assert m.setdefault("x-new", "v") == "v"
        assert m.setdefault("host", "other") == "example.com:8000"
        m.add_vary_header("Accept")
        m.add_vary_header("Origin")
        del m["user-agent"]
        m |= {"x-or": "1"}
    assert m_ours.raw == m_theirs.raw
    assert (m_ours | {"z": "1"}).raw == (m_theirs | {"z": "1"}).raw
    assert ours.raw == RAW  # the original is untouched
    assert isinstance(m_ours, headers_twin.Headers)
    with pytest.raises(TypeError, match="Expected a mapping but got list"):
        m_ours |= [("a", "b")]  # type: ignore[arg-type]
