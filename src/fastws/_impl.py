"""Pick the live twin of each compiled module, once, at import.

Two modules have twins: ``fastws._speedups`` (connection data and JSON,
pure twin ``fastws._speedups_py``) and ``fastws.wire._codec`` (the RFC 6455
codec, pure twin ``fastws.wire._codec_py``). The compiled one is used unless
``FASTWS_NO_EXTENSIONS`` is set to a non-empty value or it cannot be
imported (a pure install). Nothing else lives here.
"""

from __future__ import annotations

from types import ModuleType

from . import _speedups_py
from ._twins import load_compiled as _compiled
from .wire import _codec_py

PURE: ModuleType = _speedups_py
COMPILED: ModuleType | None = _compiled("fastws._speedups")
impl: ModuleType = COMPILED if COMPILED is not None else PURE

CODEC_PURE: ModuleType = _codec_py
CODEC_COMPILED: ModuleType | None = _compiled("fastws.wire._codec")
codec: ModuleType = CODEC_COMPILED if CODEC_COMPILED is not None else CODEC_PURE

HAS_SPEEDUPS: bool = impl is not PURE and codec is not CODEC_PURE
