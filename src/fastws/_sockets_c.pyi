"""Type stubs for the compiled twin ``fastws._sockets_c`` (the pure twin ``fastws._sockets_py`` is the source of truth)."""

__all__ = ["send_now"]

def send_now(fd: int, data: bytes) -> int: ...
