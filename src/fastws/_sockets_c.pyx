# cython: language_level=3
"""Writing to a connected socket now, when its transport holds nothing: the compiled twin of ``_sockets_py.py``.

One ``send(2)`` with ``MSG_NOSIGNAL``, no Python object made. See the pure twin.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE

cdef extern from "<sys/socket.h>" nogil:
    ssize_t send(int sockfd, const void* buf, size_t len, int flags)
    int MSG_NOSIGNAL

__all__ = ["send_now"]


def send_now(int fd, bytes data not None):
    """Write what the non-blocking socket ``fd`` takes of ``data`` now; the bytes written (0: none, or an error)."""
    cdef ssize_t sent = send(fd, PyBytes_AS_STRING(data), <size_t>PyBytes_GET_SIZE(data), MSG_NOSIGNAL)
    return sent if sent > 0 else 0
