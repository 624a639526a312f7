# cython: language_level=3
"""Where every connection's transport reads: the compiled twin of ``_read_buffer_py.py``.

The same functions (the pure twin says what and why); ``get_buffer`` a
builtin function (``binding=False``): called with one argument, through
vectorcall, and a class attribute as it is, bound to no instance. The last
thread's identity, buffer and view are C globals, the identity asked of
C (``PyThread_get_thread_ident``), so that the common case, one loop's
thread, costs a compare. With the GIL held and no Python code between the
compare and the return, no other thread can change them in between.
"""

import threading

cimport cython
from cpython.pythread cimport PyThread_get_thread_ident

__all__ = ["READ_SIZE", "get_buffer", "this_thread"]

READ_SIZE = 256 * 1024
cdef Py_ssize_t _READ_SIZE = READ_SIZE

cdef object _local = threading.local()
cdef unsigned long _ident = 0  # no thread has 0 (pthread_self)
cdef bytearray _buffer = None
cdef object _view = None


cdef int _mine() except -1:
    """Make the calling thread's buffer and view the last ones."""
    global _ident, _buffer, _view
    cdef unsigned long ident = PyThread_get_thread_ident()
    if ident == _ident:
        return 0
    _ident = 0  # none, until the buffer and view are this thread's
    buffer = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = bytearray(_READ_SIZE)
        _local.buffer = buffer
    _buffer = buffer
    _view = memoryview(buffer)
    _ident = ident
    return 0


cpdef bytearray this_thread():
    """The buffer of the calling thread (made at its first read)."""
    _mine()
    return _buffer


@cython.binding(False)
def get_buffer(sizehint):
    """A view of the calling thread's buffer (see the pure twin)."""
    _mine()
    return _view
