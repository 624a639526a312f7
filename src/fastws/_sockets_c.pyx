# cython: language_level=3
"""Writing to a connected socket now, when its transport holds nothing: the compiled twin of ``_sockets_py.py``.

One ``send(2)`` (``sendmsg(2)`` for two parts) with ``MSG_NOSIGNAL``, no
Python object made; an ASCII ``str`` is sent from its own bytes. See the pure twin.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from libc.string cimport memset

cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_IS_ASCII(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)

cdef extern from "<sys/uio.h>" nogil:
    struct iovec:
        void* iov_base
        size_t iov_len

cdef extern from "<sys/socket.h>" nogil:
    struct msghdr:
        iovec* msg_iov
        size_t msg_iovlen
    ssize_t send(int sockfd, const void* buf, size_t len, int flags)
    ssize_t sendmsg(int sockfd, const msghdr* msg, int flags)
    int MSG_NOSIGNAL

__all__ = ["send_now", "send_parts"]


def send_now(int fd, bytes data not None):
    """Write what the non-blocking socket ``fd`` takes of ``data`` now; the bytes written (0: none, or an error)."""
    cdef ssize_t sent = send(fd, PyBytes_AS_STRING(data), <size_t>PyBytes_GET_SIZE(data), MSG_NOSIGNAL)
    return sent if sent > 0 else 0


def send_parts(int fd, bytes header not None, payload):
    """``send_now`` of ``header`` then ``payload`` (bytes, or an ASCII ``str``: its bytes are its UTF-8) at once."""
    cdef iovec parts[2]
    cdef msghdr message
    if PyBytes_CheckExact(payload):
        parts[1].iov_base = PyBytes_AS_STRING(payload)
        parts[1].iov_len = <size_t>PyBytes_GET_SIZE(payload)
    elif PyUnicode_CheckExact(payload):
        if not PyUnicode_IS_ASCII(payload):
            raise ValueError("a str payload must be ASCII")
        parts[1].iov_base = PyUnicode_DATA(payload)
        parts[1].iov_len = <size_t>PyUnicode_GET_LENGTH(payload)
    else:
        raise TypeError(f"payload must be bytes or str, not {type(payload).__name__}")
    parts[0].iov_base = PyBytes_AS_STRING(header)
    parts[0].iov_len = <size_t>PyBytes_GET_SIZE(header)
    memset(&message, 0, sizeof(message))
    message.msg_iov = parts
    message.msg_iovlen = 2
    cdef ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL)
    return sent if sent > 0 else 0
