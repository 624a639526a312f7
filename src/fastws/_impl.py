"""Pick the live twin of the connection-data and JSON code, once, at import.

The compiled ``fastws._speedups`` is used unless ``FASTWS_NO_EXTENSIONS`` is
set to a non-empty value or it cannot be imported (a pure install); then the
pure twin ``fastws._speedups_py`` is used. Nothing else lives here.
"""

from __future__ import annotations

import os
from types import ModuleType

from . import _speedups_py

PURE: ModuleType = _speedups_py
COMPILED: ModuleType | None = None

if not os.environ.get("FASTWS_NO_EXTENSIONS"):
    try:
        from . import _speedups as COMPILED  # type: ignore[no-redef]
    except ImportError:  # a pure install: no compiler or no Cython at build time
        COMPILED = None

impl: ModuleType = COMPILED if COMPILED is not None else PURE
HAS_SPEEDUPS: bool = impl is not PURE
