"""The live RFC 6455 codec twin: compiled ``_codec`` or pure ``_codec_py``.

Both define the same names with the same behaviour; ``fastws._impl`` picks
one (``FASTWS_NO_EXTENSIONS=1`` forces the pure twin). Type checkers read the
pure twin, whose API the compiled one's stub (``_codec.pyi``) matches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._impl import codec as _codec

if TYPE_CHECKING:
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
    CLOSED = _codec.CLOSED
    CLOSING = _codec.CLOSING
    OPEN = _codec.OPEN
    DEFAULT_MAX_SIZE = _codec.DEFAULT_MAX_SIZE
    Connection = _codec.Connection
    build_frame = _codec.build_frame
    close_payload = _codec.close_payload
    is_valid_close_code = _codec.is_valid_close_code
    unmask = _codec.unmask

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
