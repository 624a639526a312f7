"""The live twin of ``Headers`` and ``MutableHeaders``.

The compiled ``fastws._headers_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._headers_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _headers_py
from ._twins import load_compiled

__all__ = ["Headers", "MutableHeaders"]

PURE: ModuleType = _headers_py
COMPILED: ModuleType | None = load_compiled("fastws._headers_c")

if TYPE_CHECKING or COMPILED is None:
    from ._headers_py import Headers, MutableHeaders
else:
    from ._headers_c import Headers, MutableHeaders
