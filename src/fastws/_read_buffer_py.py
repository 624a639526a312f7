"""Where every connection's transport reads: one buffer per thread (pure twin).

fastws' protocol is an ``asyncio.BufferedProtocol``: uvloop and asyncio
read a connection's bytes into what its ``get_buffer`` lends, and call
``buffer_updated`` with how many. The protocol's ``get_buffer`` is
``get_buffer`` here, as a static method: one object for every
connection, not a method bound to each (a transport keeps its protocol's
``get_buffer`` for as long as it lives, and a bound method is 80 bytes a
connection). It lends the buffer of the thread that reads: a
thread runs one loop at a time, and the protocol parses each read, and
copies what is left of it, before the next read into the same buffer;
``this_thread()`` is that buffer, for ``buffer_updated``. What is lent is
a view of it: asyncio's TLS layer reads the rest of a read into
``buffer[offset:]``, which of a ``bytearray`` would be a copy.

``fastws._read_buffer`` is the selector; ``_read_buffer_c.pyx`` the
compiled twin, function by function the same.
"""

from __future__ import annotations

import threading

__all__ = ["READ_SIZE", "get_buffer", "this_thread"]

#: the size of each thread's buffer: uvloop's own read size, so that a read takes what it would have
#: taken with ``data_received``
READ_SIZE = 256 * 1024

_local = threading.local()
#: the last thread's identity, buffer and view: one tuple, read whole whatever thread runs next
_last: tuple[int, bytearray, memoryview] = (-1, bytearray(), memoryview(b""))


def _mine() -> tuple[int, bytearray, memoryview]:
    """The calling thread's identity, buffer and view, made the last ones."""
    global _last
    last = _last
    ident = threading.get_ident()
    if last[0] == ident:
        return last
    buffer = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = bytearray(READ_SIZE)
    last = _last = (ident, buffer, memoryview(buffer))
    return last


def this_thread() -> bytearray:
    """The buffer of the calling thread (made at its first read)."""
    return _mine()[1]


def get_buffer(sizehint: int) -> memoryview:
    """A view of the calling thread's buffer (``asyncio.BufferedProtocol.get_buffer``; ``sizehint`` is not
    needed: the buffer is as large as a read of uvloop's)."""
    return _mine()[2]
