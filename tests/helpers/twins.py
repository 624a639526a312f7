"""The twins importable in this run, and what comparing them needs.

The fixtures yielding each twin in turn (``json_twin``, ``url_twin``,
``headers_twin``, ``websocket_twin``, ``codec``, ``handshake``) are in ``tests/conftest.py``;
hypothesis tests, which cannot take function-scoped fixtures, loop over
``live_*()`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from fastws import _headers, _json, _url, _websocket_base
from fastws.websockets import WebSocket, WebSocketMethods
from fastws.wire import codec as _codec
from fastws.wire import handshake as _handshake


def live(selector: ModuleType) -> list[ModuleType]:
    """``selector``'s twins importable in this run: compiled (when live), then pure."""
    return [m for m in (selector.COMPILED, selector.PURE) if m is not None]


def live_json_twins() -> list[ModuleType]:
    """The JSON twins importable in this run (for hypothesis tests)."""
    return live(_json)


def live_url_twins() -> list[ModuleType]:
    """The URL/query-string twins importable in this run (for hypothesis tests)."""
    return live(_url)


def live_headers_twins() -> list[ModuleType]:
    """The Headers twins importable in this run (for hypothesis tests)."""
    return live(_headers)


def live_websocket_twins() -> list[ModuleType]:
    """The ``WebSocketBase`` twins importable in this run (for hypothesis tests)."""
    return live(_websocket_base)


def live_codecs() -> list[ModuleType]:
    """The codec twins importable in this run (for hypothesis tests)."""
    return live(_codec)


def live_handshakes() -> list[ModuleType]:
    """The opening-handshake twins importable in this run (for hypothesis tests)."""
    return live(_handshake)


def websocket_class(twin: ModuleType) -> type[WebSocket]:
    """``fastws.WebSocket`` built on ``twin``'s ``WebSocketBase``: both twins in one process."""
    return type(WebSocket.__name__, (WebSocketMethods, twin.WebSocketBase), {"__module__": WebSocket.__module__})


def outcome(fn: Callable[[], Any], detail: Callable[[Exception], Any] = type) -> tuple[str, Any]:
    """``("ok", fn())``, or ``("raises", detail(exc))``: by default the exception's type."""
    try:
        return ("ok", fn())
    except Exception as exc:
        return ("raises", detail(exc))
