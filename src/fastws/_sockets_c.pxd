# cython: language_level=3
"""What other compiled twins call in ``_sockets_c`` at C level (the protocol core, once per frame out)."""

cpdef Py_ssize_t send_now(int fd, bytes data) except -1
