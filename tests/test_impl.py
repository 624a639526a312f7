"""The twin selector: compiled unless FASTWS_NO_EXTENSIONS says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fastws
from fastws import _impl


def _has_speedups_with(env_value: str | None) -> str:
    env = dict(os.environ)
    env.pop("FASTWS_NO_EXTENSIONS", None)
    if env_value is not None:
        env["FASTWS_NO_EXTENSIONS"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", "import fastws; print(fastws.HAS_SPEEDUPS)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def test_has_speedups_matches_live_module() -> None:
    assert (_impl.impl is not _impl.PURE) == fastws.HAS_SPEEDUPS
    assert fastws.URL is _impl.impl.URL
    assert fastws.Headers is _impl.impl.Headers


def test_no_extensions_env_forces_pure() -> None:
    assert _has_speedups_with("1") == "False"


def test_empty_env_value_does_not_force_pure() -> None:
    assert _has_speedups_with("") == _has_speedups_with(None)


@pytest.mark.skipif(os.environ.get("FASTWS_EXPECT_SPEEDUPS") != "1", reason="only where CI built the extension")
def test_compiled_twin_is_live_when_expected() -> None:
    assert fastws.HAS_SPEEDUPS
    assert _impl.impl.__name__ == "fastws._speedups"
    assert _impl.impl.__file__.endswith((".so", ".pyd"))


def test_twins_export_the_same_names() -> None:
    assert _impl.PURE.__all__ == [
        "URL",
        "Headers",
        "MutableHeaders",
        "QueryParams",
        "WebSocketBase",
        "json_dumps",
        "json_dumps_bytes",
        "json_loads",
        "parse_host_header",
        "parse_query",
    ]
    if _impl.COMPILED is not None:
        assert _impl.COMPILED.__all__ == _impl.PURE.__all__
        for name in _impl.PURE.__all__:
            assert hasattr(_impl.COMPILED, name), name
