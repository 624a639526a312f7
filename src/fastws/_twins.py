"""Which twin of a compiled module is live: the rule every selector applies.

The compiled twin is used unless ``FASTWS_NO_EXTENSIONS`` is set to a
non-empty value, or it cannot be imported (a pure install: no compiler or no
Cython at build time). This module imports nothing from fastws, so any layer
may use it.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

NO_EXTENSIONS: bool = bool(os.environ.get("FASTWS_NO_EXTENSIONS"))
"""``FASTWS_NO_EXTENSIONS`` was set: every selector picks the pure twin."""


def load_compiled(name: str) -> ModuleType | None:
    """The compiled module ``name`` (absolute), or None when forced off or not built."""
    if NO_EXTENSIONS:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:  # a pure install
        return None
