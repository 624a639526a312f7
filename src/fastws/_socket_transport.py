"""The live twin of ``SocketTransport``, an open WebSocket connection's socket read and written by fastws itself.

The compiled ``fastws._socket_transport_c`` unless the rule of
``fastws._twins`` says pure (``FASTWS_NO_EXTENSIONS`` set, or not built);
else the pure ``fastws._socket_transport_py``, which is also what type
checkers read. ``COMPILED`` is the compiled twin when it is live, ``PURE``
the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _socket_transport_py
from ._twins import load_compiled

__all__ = ["DEFAULT_HIGH_WATER", "DEFAULT_LOW_WATER", "SocketTransport"]

PURE: ModuleType = _socket_transport_py
COMPILED: ModuleType | None = load_compiled("fastws._socket_transport_c")

if TYPE_CHECKING or COMPILED is None:
    from ._socket_transport_py import DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, SocketTransport
else:
    from ._socket_transport_c import DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, SocketTransport
