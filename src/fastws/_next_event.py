"""The live twin of ``_next_event``, the futures the ASGI ``receive`` of ``fastws.protocol`` returns.

The compiled ``fastws._next_event_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._next_event_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _next_event_py
from ._twins import load_compiled

__all__ = ["SENT", "ReadyEvent", "Sent", "pending", "ready", "settle"]

PURE: ModuleType = _next_event_py
COMPILED: ModuleType | None = load_compiled("fastws._next_event_c")

if TYPE_CHECKING or COMPILED is None:
    from ._next_event_py import SENT, ReadyEvent, Sent, pending, ready, settle
else:
    from ._next_event_c import SENT, ReadyEvent, Sent, pending, ready, settle
