"""Type stubs for the compiled twin ``fastws._sockets_c`` (the pure twin ``fastws._sockets_py`` is the source of truth)."""

from collections.abc import Sequence

__all__ = [
    "IOV_MAX",
    "ascii_view",
    "recv_into",
    "reset_on_close",
    "send_buffers",
    "send_last",
    "send_now",
    "send_parts",
]

IOV_MAX: int

def send_now(fd: int, data: bytes) -> int: ...
def send_last(fd: int, data: bytes) -> int: ...
def send_parts(fd: int, header: bytes, payload: bytes | str) -> int: ...
def ascii_view(text: str, start: int = 0) -> memoryview: ...
def recv_into(fd: int, buffer: bytearray | memoryview) -> int: ...
def send_buffers(fd: int, buffers: Sequence[bytes | bytearray | memoryview]) -> int: ...
def reset_on_close(fd: int) -> None: ...
