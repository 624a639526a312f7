"""Type stubs for the compiled twin ``fastws._read_buffer_c`` (the pure twin ``fastws._read_buffer_py`` is the source of truth)."""

__all__ = ["READ_SIZE", "get_buffer", "this_thread"]

READ_SIZE: int

def this_thread() -> bytearray: ...
def get_buffer(sizehint: int) -> memoryview: ...
