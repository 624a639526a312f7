"""Type stubs for the compiled twin ``fastws.broadcast._message_c``.

It is built from the pure twin's source, ``_message_py.py``, which is also
the source of truth for types (type checkers read it, through the
selector); this stub gives the compiled module the same names and
signatures, and ``python -m mypy.stubtest fastws.broadcast._message_c``
checks it against the built module.
"""

from typing import Any

from ..wire.deflate import PerMessageDeflate
from .positions import Position

__all__ = ["Message"]

class Message:
    # a cdef class; it has the source's __slots__ too (one source: _message_py.py)
    __slots__ = ("_asgi", "_deflated", "_frame", "_text", "binary", "payload", "position", "stamp")
    payload: bytes
    binary: bool
    position: Position | None
    stamp: tuple[bytes, bytes] | None
    def __init__(
        self, payload: bytes, binary: bool, text: str | None = None, position: Position | None = None
    ) -> None: ...
    @classmethod
    def of(cls, message: str | bytes | bytearray | memoryview) -> Message: ...
    @classmethod
    def json(cls, data: Any, mode: str = "text", position_key: str | None = None) -> Message: ...
    def at(self, position: Position) -> Message: ...
    @property
    def size(self) -> int: ...
    @property
    def data(self) -> str | bytes: ...
    def frame(self) -> bytes: ...
    def asgi(self) -> dict[str, Any]: ...
    def deflated_frame(self, deflate: PerMessageDeflate) -> bytes: ...
