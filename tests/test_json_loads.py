"""``json_loads`` is ``json.loads``: same values, same errors, on both twins.

The compiled twin parses JSON natively and hands anything it does not
accept to ``json.loads``; these tests hold it to the standard library on
valid documents (all the ways ``json.dumps`` writes them), on hand-picked
edge cases, and on random corruptions of valid documents.
"""

from __future__ import annotations

import json
import math
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import twins
from tests.helpers.twins import live_json_twins


def outcome(fn: Any) -> tuple[str, str]:
    """``repr`` of the value (types, float signs and NaNs included), or the error's type name and message."""
    return twins.outcome(lambda: repr(fn()), lambda exc: f"{type(exc).__name__}: {exc}")


EDGE_CASES = [
    "0", "-0", "-0.0", "0.0", "1", "-1", "12345678901234567", "123456789012345678901234567890",
    "-123456789012345678901234567890", "1.5", "-1.5e3", "1e400", "-1e400", "1E+2", "1e-2", "2.5e-324",
    "0.1", "101.25", "1764067200.123456", "9007199254740993", "9007199254740993.0", "1.7976931348623157e308",
    "123456789012345.6", "1234567890123456789.5", "0.000001", "1e22", "1e23", "3.14159265358979323846",
    "NaN", "Infinity", "-Infinity", "nan", "inf", "true", "false", "null", "True", "None",
    '""', '"a"', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00"', '"\\ud83dx"', '"\\ud83d\\u0041"',
    '"\\n\\t\\r\\b\\f\\/\\\\\\""', '"\\x"', '"\\u12"', '"\\u12g4"', '"tab\there"', '"é😀"', '"\\u0000"',
    "[]", "{}", "[1,2,3]", '{"a":1,"a":2}', '{"a":{"b":[1,{"c":null}]}}', " [ 1 , 2 ] ", "\t\n\r 1 \n",
    "[1,]", "[,1]", '{"a":1,}', '{"a" 1}', '{1:2}', "[1 2]", "01", "1.", ".5", "-", "--1", "1e", "1e+",
    "+1", "[", "]", "{", '"unterminated', "", " ", "\ufeff1", "1 2", "[1]x", "nul", "tru", "Infinit",
    "-Infinity1", "-NaN", '"\\u00e9\\u20ac"', '["a", "b", ["c", ["d"]]]',
]  # fmt: skip


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_match_json_loads(json_twin: ModuleType, text: str) -> None:
    assert outcome(lambda: json_twin.json_loads(text)) == outcome(lambda: json.loads(text))


def test_bytes_and_str_subclasses_go_to_json_loads(json_twin: ModuleType) -> None:
    class Text(str):
        pass

    for value in [b'{"a": 1}', bytearray(b"[1]"), Text('{"b": 2}'), '\ufeff{"a": 1}'.encode("utf-8-sig")]:
        assert outcome(lambda: json_twin.json_loads(value)) == outcome(lambda: json.loads(value))


def test_deep_nesting_matches_json_loads(json_twin: ModuleType) -> None:
    for depth in (10, 199, 200, 201, 5000, 100_000):
        text = "[" * depth + "]" * depth
        assert outcome(lambda: json_twin.json_loads(text))[0] == outcome(lambda: json.loads(text))[0], depth


def test_large_documents(json_twin: ModuleType) -> None:
    big = {"items": [{"id": i, "name": f"n{i} é", "score": i / 7} for i in range(20_000)]}
    text = json.dumps(big)
    assert json_twin.json_loads(text) == big


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)

dump_options = st.sampled_from(
    [
        {},
        {"ensure_ascii": False},
        {"separators": (",", ":")},
        {"separators": (",", ":"), "ensure_ascii": False},
        {"indent": 2},
        {"indent": "\t", "ensure_ascii": False},
    ]
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, options=dump_options)
def test_documents_json_dumps_writes(value: Any, options: dict[str, Any]) -> None:
    text = json.dumps(value, **options)
    expected = outcome(lambda: json.loads(text))
    for json_twin in live_json_twins():
        assert outcome(lambda: json_twin.json_loads(text)) == expected, json_twin.__name__


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, data=st.data())
def test_corrupted_documents(value: Any, data: st.DataObject) -> None:
    text = json.dumps(value, ensure_ascii=data.draw(st.booleans()))
    if text:
        at = data.draw(st.integers(0, len(text)))
        insert = data.draw(st.sampled_from(["", ",", "]", "}", '"', "\\", "\x01", "e", ".", "-", "0", " ", "é"]))
        cut = data.draw(st.integers(0, 2))
        text = text[:at] + insert + text[at + cut :]
    expected = outcome(lambda: json.loads(text))
    for json_twin in live_json_twins():
        assert outcome(lambda: json_twin.json_loads(text)) == expected, (json_twin.__name__, text)


@settings(max_examples=400, deadline=None)
@given(number=st.floats(allow_nan=False, allow_infinity=False), style=st.sampled_from(["repr", "e", "f", "g"]))
def test_numbers_parse_exactly(number: float, style: str) -> None:
    text = {"repr": repr(number), "e": f"{number:.12e}", "f": f"{number:.6f}", "g": f"{number:.17g}"}[style]
    if not math.isfinite(float(text)) and "inf" in text:
        return
    expected = outcome(lambda: json.loads(text))
    for json_twin in live_json_twins():
        assert outcome(lambda: json_twin.json_loads(text)) == expected, (json_twin.__name__, text)
