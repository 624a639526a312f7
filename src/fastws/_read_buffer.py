"""The live twin of ``get_buffer`` and ``this_thread``: where every connection's transport reads.

The compiled ``fastws._read_buffer_c`` unless the rule of ``fastws._twins``
says pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._read_buffer_py``, which is also what type checkers read.
``COMPILED`` is the compiled twin when it is live, ``PURE`` the pure one:
tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _read_buffer_py
from ._twins import load_compiled

__all__ = ["READ_SIZE", "get_buffer", "this_thread"]

PURE: ModuleType = _read_buffer_py
COMPILED: ModuleType | None = load_compiled("fastws._read_buffer_c")

if TYPE_CHECKING or COMPILED is None:
    from ._read_buffer_py import READ_SIZE, get_buffer, this_thread
else:
    from ._read_buffer_c import READ_SIZE, get_buffer, this_thread
