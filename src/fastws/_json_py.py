"""Pure-Python twin of ``fastws._json_c``: the JSON of WebSocket messages.

``json_dumps``/``json_dumps_bytes`` give ``json.dumps(data, separators=(",",
":"), ensure_ascii=False)`` (as str, or as UTF-8 bytes) and ``json_loads`` is
``json.loads``. The compiled twin has its own encoder, decoder and float
printer, giving the same output or the same exception.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_dumps", "json_dumps_bytes", "json_loads"]

# ------------------------------------------------------------------------ JSON

# One encoder, built once: the output of ``json.dumps(data,
# separators=(",", ":"), ensure_ascii=False)`` without building an encoder
# per call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_dumps(data: Any) -> str:
    """``json.dumps(data, separators=(",", ":"), ensure_ascii=False)``."""
    return _encode(data)


json_loads = json.loads  # ``json.loads``: the pure twin has nothing to add


def json_dumps_bytes(data: Any) -> bytes:
    """``json_dumps(data).encode("utf-8")``: the payload of a binary frame."""
    return _encode(data).encode("utf-8")
