"""The live twin of ``WebSocketBase``, the hot half of ``fastws.WebSocket``.

The compiled ``fastws._websocket_base_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._websocket_base_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _websocket_base_py
from ._twins import load_compiled

__all__ = ["WebSocketBase"]

PURE: ModuleType = _websocket_base_py
COMPILED: ModuleType | None = load_compiled("fastws._websocket_base_c")

if TYPE_CHECKING or COMPILED is None:
    from ._websocket_base_py import WebSocketBase
else:
    from ._websocket_base_c import WebSocketBase
