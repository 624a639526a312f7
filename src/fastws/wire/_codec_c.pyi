"""Type stubs of the compiled RFC 6455 codec (same API as ``_codec_py``, its pure twin)."""

from typing import TypeAlias

from typing_extensions import disjoint_base

from .counts import Counts
from .deflate import PerMessageDeflate

__all__ = [
    "CLOSED",
    "CLOSING",
    "DEFAULT_MAX_SIZE",
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

_Buffer: TypeAlias = bytes | bytearray | memoryview

OPEN: int
CLOSING: int
CLOSED: int
DEFAULT_MAX_SIZE: int
UNMASK_IMPLEMENTATIONS: tuple[str, ...]

def is_valid_close_code(code: int) -> bool: ...
def unmask(data: _Buffer, mask: _Buffer, offset: int = 0, implementation: str | None = None) -> bytes: ...
def build_frame(opcode: int, payload: _Buffer, fin: bool = True, rsv1: bool = False) -> bytes: ...
def close_payload(code: int | None = ..., reason: str = "") -> bytes: ...
def counts() -> Counts: ...
def count_sent(text: bool, messages: int, size: int) -> None: ...

@disjoint_base
class Connection:
    max_size: int | None
    deflate: PerMessageDeflate | None
    @property
    def state(self) -> int: ...
    @property
    def close_sent(self) -> bool: ...
    @property
    def stopped(self) -> bool: ...
    def __init__(self, max_size: int | None = ..., deflate: PerMessageDeflate | None = None) -> None: ...
    def receive_data(self, data: _Buffer, limit: int | None = None) -> list[object]: ...
    def data_to_send(self) -> bytes: ...
    def send_text(self, text: str) -> bytes: ...
    def send_bytes(self, data: _Buffer) -> bytes: ...
    def send_ping(self, payload: _Buffer = b"") -> bytes: ...
    def send_pong(self, payload: _Buffer = b"") -> bytes: ...
    def send_close(self, code: int | None = ..., reason: str = "") -> bytes: ...
