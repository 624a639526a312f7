"""Property tests for ``Headers`` and ``MutableHeaders``: each live twin == Starlette.

Every property feeds the same random header list (and lookups, mutations) to
each live twin (``live_headers_twins()``) and to Starlette's classes, and
compares the results, or the exception types when Starlette raises.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette import datastructures as sd

from tests.helpers import views
from tests.helpers.properties import FAST
from tests.helpers.twins import live_headers_twins, outcome

LATIN1 = "".join(chr(i) for i in range(256))
KEY_POOL = [b"host", b"Host", b"HOST", b"cookie", b"x-a", b"X-A", b"", b"caf\xe9", b"CAF\xc9", b"\xff", b"a b"]

header_keys = st.one_of(st.sampled_from(KEY_POOL), st.binary(max_size=8))
header_values = st.one_of(
    st.sampled_from([b"", b"v", b"a=1", b"caf\xe9", b"\x00\xff", b"  spaced  "]),
    st.binary(max_size=16),
)
header_lists = st.lists(st.tuples(header_keys, header_values), max_size=12)
lookup_keys = st.one_of(
    st.sampled_from([k.decode("latin-1") for k in KEY_POOL] + ["\u20ac", "missing", "Caf\xe9", "\u0130"]),
    st.text(alphabet=LATIN1, max_size=6),
    st.binary(max_size=6).map(lambda b: b.decode("latin-1").upper()),
)


def headers_view(h: Any, names: list[str]) -> dict[str, Any]:
    """``tests.helpers.views.headers_view``, and ``get`` with a default for each name."""
    view = views.headers_view(h, names)
    for name in names:
        view[f"get default {name!r}"] = outcome(lambda: h.get(name, "dflt"))
    return view


@FAST
@given(raw=header_lists, names=st.lists(lookup_keys, max_size=6), data=st.data())
def test_headers_match_starlette(raw: list[tuple[bytes, bytes]], names: list[str], data: st.DataObject) -> None:
    names = names + [k.decode("latin-1") for k, _ in raw[:3]] + [k.decode("latin-1").swapcase() for k, _ in raw[:3]]
    expected = headers_view(sd.Headers(raw=list(raw)), names)
    shuffled = data.draw(st.permutations(raw))
    expected_eq = sd.Headers(raw=list(raw)) == sd.Headers(raw=list(shuffled))
    for twin in live_headers_twins():
        h = twin.Headers(raw=list(raw))
        assert headers_view(h, names) == expected, twin.__name__
        assert (h == twin.Headers(raw=list(shuffled))) == expected_eq
        assert h.raw == raw


header_texts = st.text(alphabet=LATIN1, max_size=8)
mutations = st.lists(
    st.tuples(
        st.sampled_from(["set", "append", "del", "setdefault", "vary", "update"]),
        st.one_of(st.sampled_from(["Host", "cookie", "X-A", "vary", "Vary"]), header_texts),
        header_texts,
    ),
    max_size=8,
)


def apply_mutations(m: Any, ops: list[tuple[str, str, str]]) -> list[Any]:
    results = []
    for op, key, value in ops:
        if op == "set":
            results.append(outcome(lambda: m.__setitem__(key, value)))
        elif op == "append":
            results.append(outcome(lambda: m.append(key, value)))
        elif op == "del":
            results.append(outcome(lambda: m.__delitem__(key)))
        elif op == "setdefault":
            results.append(outcome(lambda: m.setdefault(key, value)))
        elif op == "vary":
            results.append(outcome(lambda: m.add_vary_header(value)))
        else:
            results.append(outcome(lambda: m.update({key: value})))
        results.append(list(m.raw))
    return results


@FAST
@given(raw=header_lists, ops=mutations)
def test_mutable_headers_match_starlette(raw: list[tuple[bytes, bytes]], ops: list[tuple[str, str, str]]) -> None:
    expected = apply_mutations(sd.Headers(raw=list(raw)).mutablecopy(), ops)
    for twin in live_headers_twins():
        original = twin.Headers(raw=list(raw))
        assert apply_mutations(original.mutablecopy(), ops) == expected, twin.__name__
        assert original.raw == raw
