"""The live twin of ``Message``, a published message encoded and framed once.

The compiled ``fastws.broadcast._message_c`` unless the rule of
``fastws._twins`` says pure (``FASTWS_NO_EXTENSIONS`` set, or not built);
else the pure ``fastws.broadcast._message_py``, which is also what type
checkers read. ``COMPILED`` is the compiled twin when it is live, ``PURE`` the
pure one.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .._twins import load_compiled
from . import _message_py

__all__ = ["Message"]

PURE: ModuleType = _message_py
COMPILED: ModuleType | None = load_compiled("fastws.broadcast._message_c")

if TYPE_CHECKING or COMPILED is None:
    from ._message_py import Message
else:
    from ._message_c import Message
