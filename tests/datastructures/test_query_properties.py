"""Property tests for query strings and ``QueryParams``: each live twin == ``parse_qsl`` and Starlette.

Every property feeds the same random query string to each live twin
(``live_url_twins()``) and to the reference, and compares the results, or
the exception types when the reference raises.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st
from starlette import datastructures as sd

from tests.helpers.properties import FAST, QS_PIECES
from tests.helpers.twins import live_url_twins, outcome

query_texts = st.one_of(
    st.lists(st.sampled_from(QS_PIECES), max_size=16).map("".join),
    st.text(max_size=24),
    st.text(alphabet="ab=&+%0123456789AaFfgz", max_size=24),
    st.binary(max_size=24).map(lambda b: b.decode("latin-1")),
)


def query_params_view(q: Any, probe: list[str]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "multi_items": q.multi_items(),
        "items": list(q.items()),
        "keys": list(q.keys()),
        "values": list(q.values()),
        "iter": list(q),
        "len": len(q),
        "str": str(q),
        "repr": repr(q),
    }
    for key in probe:
        view[f"getlist {key!r}"] = q.getlist(key)
        view[f"get {key!r}"] = q.get(key)
        view[f"contains {key!r}"] = key in q
        view[f"getitem {key!r}"] = outcome(lambda: q[key])
    return view


@FAST
@given(qs=query_texts)
def test_parse_query_matches_parse_qsl(qs: str) -> None:
    expected = outcome(lambda: parse_qsl(qs, keep_blank_values=True))
    for twin in live_url_twins():
        assert outcome(lambda: twin.parse_query(qs)) == expected, twin.__name__


@FAST
@given(qs=query_texts)
def test_query_params_from_str_match_starlette(qs: str) -> None:
    reference = sd.QueryParams(qs)
    probe = [*[k for k, _ in reference.multi_items()][:4], "missing", ""]
    expected = query_params_view(reference, probe)
    for twin in live_url_twins():
        ours = twin.QueryParams(qs)
        assert query_params_view(ours, probe) == expected, twin.__name__
        assert ours == twin.QueryParams(qs)
        for other in (reference.multi_items()[::-1], sorted(reference.multi_items())):
            assert (ours == twin.QueryParams(other)) == (reference == sd.QueryParams(other))
        assert ours != reference  # a twin never equals Starlette's class, nor does Starlette's


@FAST
@given(
    raw=st.one_of(
        st.binary(max_size=32),
        st.lists(st.sampled_from(QS_PIECES), max_size=12).map(lambda p: "".join(p).encode("utf-8")),
    )
)
def test_query_params_from_bytes_match_starlette(raw: bytes) -> None:
    reference = sd.QueryParams(raw)
    probe = [*[k for k, _ in reference.multi_items()][:4], "missing", "", "a b", "é"]
    expected = query_params_view(reference, probe)
    for twin in live_url_twins():
        assert query_params_view(twin.QueryParams(raw), probe) == expected, twin.__name__
        # Lookups on a fresh instance (the compiled twin answers them by
        # scanning the bytes before it ever parses them all).
        for key in probe:
            for op in ("getlist", "get", "contains", "getitem"):
                fresh = twin.QueryParams(raw)
                if op == "getlist":
                    got = fresh.getlist(key)
                elif op == "get":
                    got = fresh.get(key)
                elif op == "contains":
                    got = key in fresh
                else:
                    got = outcome(lambda: fresh[key])
                assert got == expected[f"{op} {key!r}"], (twin.__name__, op, key)
