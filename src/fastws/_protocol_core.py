"""The live twin of ``ProtocolCore``, the body of ``fastws.protocol.WebSocketProtocol``.

The compiled ``fastws._protocol_core_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._protocol_core_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _protocol_core_py
from ._twins import load_compiled

__all__ = ["KEEPALIVE_TICKS", "LARGE_MESSAGE", "NO_FD", "TASK_NAME", "ProtocolCore", "deliver_frame_to"]

PURE: ModuleType = _protocol_core_py
COMPILED: ModuleType | None = load_compiled("fastws._protocol_core_c")

if TYPE_CHECKING or COMPILED is None:
    from ._protocol_core_py import KEEPALIVE_TICKS, LARGE_MESSAGE, NO_FD, TASK_NAME, ProtocolCore, deliver_frame_to
else:
    from ._protocol_core_c import KEEPALIVE_TICKS, LARGE_MESSAGE, NO_FD, TASK_NAME, ProtocolCore, deliver_frame_to
