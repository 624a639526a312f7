# cython: language_level=3
"""What other compiled twins call in ``_sockets_c`` at C level (the protocol core, once per frame out; the
socket transport, once per read)."""

cpdef Py_ssize_t send_now(int fd, bytes data) except -1
cpdef Py_ssize_t send_last(int fd, bytes data) except -1
cpdef Py_ssize_t recv_into(int fd, object buffer) except -2
