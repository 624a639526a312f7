"""The live RFC 6455 codec twin: compiled ``_codec`` or pure ``_codec_py``.

Both define the same names with the same behaviour; ``fastws._impl`` picks
one (``FASTWS_NO_EXTENSIONS=1`` forces the pure twin).
"""

from __future__ import annotations

from .._impl import codec as _codec

CLOSED: int = _codec.CLOSED
CLOSING: int = _codec.CLOSING
OPEN: int = _codec.OPEN
DEFAULT_MAX_SIZE: int = _codec.DEFAULT_MAX_SIZE
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
