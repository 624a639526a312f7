"""The live RFC 6455 codec twin: compiled ``_codec_c`` or pure ``_codec_py``.

Both define the same names with the same behaviour. The compiled twin is
used unless ``FASTWS_NO_EXTENSIONS`` is set or it was not built (the rule of
``fastws._twins``, which imports nothing from fastws: the wire layer stands
on its own). Type checkers read the pure twin, whose API the compiled one's
stub (``_codec_c.pyi``) matches. ``COMPILED`` is the compiled twin when it is
live, ``PURE`` the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .._twins import load_compiled
from . import _codec_py

PURE: ModuleType = _codec_py
COMPILED: ModuleType | None = load_compiled("fastws.wire._codec_c")

if TYPE_CHECKING or COMPILED is None:
    from ._codec_py import (
        CLOSED,
        CLOSING,
        DEFAULT_MAX_SIZE,
        MESSAGE_COST,
        OPEN,
        UNMASK_IMPLEMENTATIONS,
        Connection,
        build_frame,
        close_payload,
        count_sent,
        counts,
        is_valid_close_code,
        unmask,
    )
else:
    from ._codec_c import (
        CLOSED,
        CLOSING,
        DEFAULT_MAX_SIZE,
        MESSAGE_COST,
        OPEN,
        UNMASK_IMPLEMENTATIONS,
        Connection,
        build_frame,
        close_payload,
        count_sent,
        counts,
        is_valid_close_code,
        unmask,
    )

__all__ = [
    "CLOSED",
    "CLOSING",
    "DEFAULT_MAX_SIZE",
    "MESSAGE_COST",
    "OPEN",
    "UNMASK_IMPLEMENTATIONS",
    "Connection",
    "build_frame",
    "close_payload",
    "count_sent",
    "counts",
    "is_valid_close_code",
    "unmask",
]
