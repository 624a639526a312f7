# cython: language_level=3
"""The types of the compiled ``ProtocolCore``, built from ``_protocol_core_py.py``.

There is no ``_protocol_core_c.pyx``: setup.py compiles the pure twin's
source as ``fastws._protocol_core_c`` and Cython reads this file beside it
(aiohttp's way). It makes ``ProtocolCore`` a ``cdef class`` whose fields are
C fields (``public``: ``fastws.protocol.WebSocketProtocol``, its Python
subclass, reads and sets them too), the calls inside the core C calls, and
the module's constants C globals.

``cdef`` methods are called only inside the core; ``cpdef`` ones by the
cold half too (a subclass may not override either: the core would not see it).
"""

cimport cython

cdef object _RECEIVE
cdef object _DISCONNECT
cdef object _CONNECTING
cdef object _OPEN
cdef object _CLOSED
cdef int _FD_UNKNOWN
cdef frozenset _DIRECT_TRANSPORTS


cdef class ProtocolCore:
    cdef public object loop
    cdef public object transport
    cdef public object conn
    cdef public dict scope
    cdef public object state
    cdef public object scheme
    cdef public Py_ssize_t max_queue
    cdef public Py_ssize_t max_queue_bytes
    cdef public int _fd
    cdef public object _disconnect_code
    cdef public object _queue
    cdef public Py_ssize_t _queued_bytes
    cdef public object _waiter
    cdef public bint _read_paused
    cdef public object _drained

    cpdef bint _push(self, dict event) except -1
    cdef _message(self, dict event, Py_ssize_t size)
    cpdef _resume_reading(self)
    cpdef _write(self, data)
    @cython.locals(fd=int, sent=Py_ssize_t)
    cpdef write_frame(self, frame)
    @cython.locals(fd=int, sent=Py_ssize_t, size=Py_ssize_t)
    cpdef write_parts(self, header, payload)
    @cython.locals(fd=int)
    cdef int _writable_fd(self) except -3
    cpdef _write_long_text(self, text)
    cpdef _write_bytes(self, data)
    cdef int _socket_fd(self) except -3
