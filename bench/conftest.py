"""Benchmark fixtures: the implementations compared side by side."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.websockets import WebSocket as StarletteWebSocket

from fastws import _impl
from fastws.websockets import WebSocket

IMPLEMENTATIONS: dict[str, Any] = {"starlette": StarletteWebSocket}
if _impl.COMPILED is not None:
    IMPLEMENTATIONS["fastws-compiled"] = WebSocket.for_twin(_impl.COMPILED)
IMPLEMENTATIONS["fastws-pure"] = WebSocket.for_twin(_impl.PURE)


@pytest.fixture(params=list(IMPLEMENTATIONS))
def websocket_class(request: pytest.FixtureRequest) -> Any:
    """Starlette's WebSocket, then fastws's on the compiled and pure twins."""
    request.node.user_properties.append(("implementation", request.param))
    return IMPLEMENTATIONS[request.param]
