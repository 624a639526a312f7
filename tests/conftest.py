"""Shared fixtures: both twins, Starlette, and a way to run coroutines."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Coroutine
from types import ModuleType
from typing import Any

import pytest

from fastws import _impl


def _params(compiled: ModuleType | None, pure: ModuleType) -> list[Any]:
    """The compiled twin (skipped when not live), then the pure one."""
    first = (
        pytest.param(compiled, id="compiled")
        if compiled is not None
        else pytest.param(None, id="compiled", marks=pytest.mark.skip(reason="compiled twin not live"))
    )
    return [first, pytest.param(pure, id="pure")]


TWINS = _params(_impl.COMPILED, _impl.PURE)
CODEC_TWINS = _params(_impl.CODEC_COMPILED, _impl.CODEC_PURE)


@pytest.fixture(params=TWINS)
def twin(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin in turn: ``fastws._speedups`` then ``fastws._speedups_py``."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=CODEC_TWINS)
def codec(request: pytest.FixtureRequest) -> ModuleType:
    """Each RFC 6455 codec twin in turn: ``fastws.wire._codec`` then ``_codec_py``."""
    return request.param  # type: ignore[no-any-return]


def live_twins() -> list[ModuleType]:
    """The twins importable in this run (for hypothesis tests)."""
    return [m for m in (_impl.COMPILED, _impl.PURE) if m is not None]


def live_codecs() -> list[ModuleType]:
    """The codec twins importable in this run (for hypothesis tests)."""
    return [m for m in (_impl.CODEC_COMPILED, _impl.CODEC_PURE) if m is not None]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run one coroutine to completion on a fresh event loop."""
    return asyncio.run(coro)


def starlette_module(name: str) -> ModuleType:
    return importlib.import_module(f"starlette.{name}")
