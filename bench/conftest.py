"""Benchmark fixtures: the implementations compared side by side."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from starlette.websockets import WebSocket as StarletteWebSocket

from fastws import _websocket_base
from fastws.websockets import WebSocket, WebSocketMethods


def _on(twin: ModuleType) -> type[WebSocket]:
    """``fastws.WebSocket`` built on ``twin``'s ``WebSocketBase``."""
    return type(WebSocket.__name__, (WebSocketMethods, twin.WebSocketBase), {"__module__": WebSocket.__module__})


IMPLEMENTATIONS: dict[str, Any] = {"starlette": StarletteWebSocket}
if _websocket_base.COMPILED is not None:
    IMPLEMENTATIONS["fastws-compiled"] = _on(_websocket_base.COMPILED)
IMPLEMENTATIONS["fastws-pure"] = _on(_websocket_base.PURE)


@pytest.fixture(params=list(IMPLEMENTATIONS))
def websocket_class(request: pytest.FixtureRequest) -> Any:
    """Starlette's WebSocket, then fastws's on the compiled and pure twins."""
    request.node.user_properties.append(("implementation", request.param))
    return IMPLEMENTATIONS[request.param]
