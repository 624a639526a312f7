"""The live twin of the JSON of WebSocket messages.

The compiled ``fastws._json_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._json_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _json_py
from ._twins import load_compiled

__all__ = ["json_dumps", "json_dumps_bytes", "json_loads"]

PURE: ModuleType = _json_py
COMPILED: ModuleType | None = load_compiled("fastws._json_c")

if TYPE_CHECKING or COMPILED is None:
    from ._json_py import json_dumps, json_dumps_bytes, json_loads
else:
    from ._json_c import json_dumps, json_dumps_bytes, json_loads
