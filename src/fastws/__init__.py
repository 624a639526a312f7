"""fastws: a Cython-accelerated, Starlette-compatible WebSocket runtime for ASGI.

``fastws.WebSocket`` is a drop-in for ``starlette.websockets.WebSocket``.
``HAS_SPEEDUPS`` tells whether the compiled twin is live (set
``FASTWS_NO_EXTENSIONS=1`` to force the pure-Python twin).
"""

from ._impl import HAS_SPEEDUPS
from .datastructures import URL, Address, Headers, MutableHeaders, QueryParams, State
from .websockets import (
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
    websocket_app,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "HAS_SPEEDUPS",
    "URL",
    "Address",
    "Headers",
    "MutableHeaders",
    "QueryParams",
    "State",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WebSocketState",
    "__version__",
    "websocket_app",
]
