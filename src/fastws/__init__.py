"""fastws: a Cython-accelerated, Starlette-compatible WebSocket runtime for ASGI.

``fastws.WebSocket`` is a drop-in for ``starlette.websockets.WebSocket``
(``fastws.WebSocketEndpoint`` for Starlette's class-based endpoint;
``fastws.fastapi.WebSocket`` annotates a FastAPI endpoint's parameter).
``HAS_SPEEDUPS`` tells whether the compiled twins are live (set
``FASTWS_NO_EXTENSIONS=1`` to force the pure-Python twins).
"""

from typing import TYPE_CHECKING, Any

from . import _headers, _json, _url, _websocket_base
from .datastructures import URL, Address, Headers, MutableHeaders, QueryParams, State
from .endpoints import WebSocketEndpoint
from .websockets import (
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
    websocket_app,
)
from .wire import codec as _codec
from .wire import handshake as _handshake
from .wire.rfc6455 import CloseCode

if TYPE_CHECKING:
    from .broadcast import Broadcast, BroadcastError

__version__ = "0.1.0.dev0"

HAS_SPEEDUPS: bool = all(
    twin.COMPILED is not None for twin in (_headers, _json, _url, _websocket_base, _codec, _handshake)
)
"""Every compiled twin is live (each selector's choice, by the rule of ``fastws._twins``)."""

_LAZY = {"Broadcast", "BroadcastError"}  # fastws.broadcast: imported on first use


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import broadcast

        return getattr(broadcast, name)
    raise AttributeError(f"module 'fastws' has no attribute {name!r}")


__all__ = [  # noqa: RUF022 - grouped: the core API, then the broadcast hub
    "HAS_SPEEDUPS",
    "URL",
    "Address",
    "CloseCode",
    "Headers",
    "MutableHeaders",
    "QueryParams",
    "State",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WebSocketEndpoint",
    "WebSocketState",
    "__version__",
    "websocket_app",
    "Broadcast",
    "BroadcastError",
]
