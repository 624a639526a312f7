"""The compiled JSON float formatting is exactly ``float.__repr__``.

The compiled encoder prints most floats itself (a proven-shortest fixed
notation path) and leaves the rest to CPython; both must equal ``repr``.
``json_dumps`` of a bare float is the float printer's text alone.
"""

from __future__ import annotations

import math
import random
import struct

import pytest

from fastws import _json

compiled = _json.COMPILED
pytestmark = [pytest.mark.compiled, pytest.mark.skipif(compiled is None, reason="compiled twin not live")]

EDGES = [
    0.0, -0.0, 0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, 0.5, 1.0, 2.0, 100.0, 101.25, 99.5, 4.35, 0.07,
    1e-4, 1.2e-4, 1e-5, 0.00010000000000000002, 1e14, 1e15, 5e15, 1e16, 1e22, 1e300, 5e-324, 2.2250738585072014e-308,
    9007199254740991.0, 9007199254740992.0, 9007199254740993.0, 999999999999999.9, 99999.99999999999,
    123456789012345.6, 1234567890123456.7, 12345.678901234567, 1764067200.123456, 1.7976931348623157e308,
]  # fmt: skip


def _samples(seed: int, count: int) -> list[float]:
    rnd = random.Random(seed)
    values = list(EDGES) + [-v for v in EDGES]
    for _ in range(count):
        values.append(struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0])
        values.append(round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 12)))
        values.append(rnd.uniform(0, 2e9))
        values.append(rnd.randint(0, 10 ** rnd.randint(1, 17)) / 10 ** rnd.randint(0, 17))
        values.append(math.nextafter(10.0 ** rnd.randint(-5, 16), rnd.choice([0.0, math.inf])))
    return values


@pytest.mark.parametrize("seed", [1, 2])
def test_float_text_is_repr(seed: int) -> None:
    mismatches = [
        (v, compiled.json_dumps(v))
        for v in _samples(seed, 20_000)
        if math.isfinite(v) and compiled.json_dumps(v) != repr(v)
    ]
    assert mismatches == []


def test_non_finite_floats_are_spelled_like_json() -> None:
    assert [compiled.json_dumps(v) for v in (math.nan, math.inf, -math.inf)] == ["NaN", "Infinity", "-Infinity"]
