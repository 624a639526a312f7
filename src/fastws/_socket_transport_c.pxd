# cython: language_level=3
"""The types of the compiled ``SocketTransport``, built from ``_socket_transport_py.py``.

setup.py compiles the pure twin's source as ``fastws._socket_transport_c``
and Cython reads this file beside it (as ``_protocol_core_c.pxd``): the
transport is a ``cdef class`` whose fields are C fields, and a read is a C
call to ``recv_into`` into the C-level ``this_thread()`` buffer.
"""

cimport cython

from ._read_buffer_c cimport this_thread
from ._sockets_c cimport recv_into


@cython.final  # private, never subclassed: its cpdef methods are called in C, with no look for an override
cdef class SocketTransport:
    cdef object _loop
    cdef int _fd
    cdef object _protocol
    cdef list _backlog
    cdef Py_ssize_t _backlog_size
    cdef Py_ssize_t _high
    cdef Py_ssize_t _low
    cdef bint _reading
    cdef bint _writing_paused
    cdef bint _closing
    cdef bint _ended

    cpdef pause_reading(self)
    cpdef close(self)
    cdef _force_close(self, object error)
    cdef _end(self, object error)
