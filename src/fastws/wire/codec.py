"""The live RFC 6455 codec twin: compiled ``_codec`` or pure ``_codec_py``.

Both define the same names with the same behaviour. The compiled twin is
used unless ``FASTWS_NO_EXTENSIONS`` is set or it was not built (the rule of
``fastws._twins``, which imports nothing from fastws: the wire layer stands
on its own). Type checkers read the pure twin, whose API the compiled one's
stub (``_codec.pyi``) matches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._twins import NO_EXTENSIONS

if TYPE_CHECKING or NO_EXTENSIONS:
    from ._codec_py import (
        CLOSED,
        CLOSING,
        DEFAULT_MAX_SIZE,
        OPEN,
        Connection,
        build_frame,
        close_payload,
        is_valid_close_code,
        unmask,
    )
else:
    try:
        from ._codec import (
            CLOSED,
            CLOSING,
            DEFAULT_MAX_SIZE,
            OPEN,
            Connection,
            build_frame,
            close_payload,
            is_valid_close_code,
            unmask,
        )
    except ImportError:  # a pure install: no compiler or no Cython at build time
        from ._codec_py import (
            CLOSED,
            CLOSING,
            DEFAULT_MAX_SIZE,
            OPEN,
            Connection,
            build_frame,
            close_payload,
            is_valid_close_code,
            unmask,
        )

__all__ = [
    "CLOSED",
    "CLOSING",
    "DEFAULT_MAX_SIZE",
    "OPEN",
    "Connection",
    "build_frame",
    "close_payload",
    "is_valid_close_code",
    "unmask",
]
