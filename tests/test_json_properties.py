"""Property tests for ``json_dumps``: each live twin == the stdlib's ``json.dumps``.

Random JSON-like values (and what the stdlib refuses) go to each live twin
(``live_json_twins()``) and to ``json.dumps``; the results, or the exception
types when it raises, must be the same.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.twins import live_json_twins, outcome

JSON_STR_PIECES = [
    "", "a", '"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\x80", "\xe9", "\u2028",
    "\u20ac", "\ufeff", "\uffff", "\U0001f600", "\U0010ffff", "\ud800", "\udfff", "\ud83d\ude00", "</script>",
]  # fmt: skip
json_strs = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=8),  # lone surrogates too
    st.lists(st.sampled_from(JSON_STR_PIECES), max_size=6).map("".join),
)
json_ints = st.one_of(
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, -(2**64), 10**100, 10**4299]),
    st.sampled_from([1, -1]).map(lambda sign: sign * 10**4300),  # past the int-to-str limit: ValueError
)
json_floats = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, -5e-324, 2.2250738585072014e-308, 1e16, 1e-7,
                     0.1, 1.7976931348623157e308, 123456789012345680.0]),
)  # fmt: skip
json_scalars = st.one_of(st.none(), st.booleans(), json_ints, json_floats, json_strs)
json_keys = st.one_of(json_strs, json_ints, json_floats, st.booleans(), st.none())
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.dictionaries(json_keys, children, max_size=5),
    ),
    max_leaves=25,
)


def reference_dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values)
def test_json_dumps_matches_stdlib(data: Any) -> None:
    expected = outcome(lambda: reference_dumps(data))
    expected_bytes = outcome(lambda: reference_dumps(data).encode("utf-8"))
    for twin in live_json_twins():
        got = outcome(lambda: twin.json_dumps(data))
        assert got == expected, twin.__name__
        if got[0] == "ok":
            assert type(got[1]) is str
        got_bytes = outcome(lambda: twin.json_dumps_bytes(data))
        assert got_bytes == expected_bytes, twin.__name__
        if got_bytes[0] == "ok":
            assert type(got_bytes[1]) is bytes
