# cython: language_level=3
"""Writing to a connected socket now, when its transport holds nothing: the compiled twin of ``_sockets_py.py``.

One ``send(2)`` (``sendmsg(2)`` for two parts) with ``MSG_NOSIGNAL``, no
Python object made; an ASCII ``str`` is sent from its own bytes, and
``ascii_view`` lends them to the transport (a buffer over the ``str``,
which it keeps alive; a ``str`` never changes). ``recv_into`` is one
``recv(2)``, into a ``bytearray``'s own bytes with no buffer request;
``reset_on_close`` one ``setsockopt(2)``. See the pure twin.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBUF_WRITABLE, PyBuffer_FillInfo, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_CheckExact, PyByteArray_GET_SIZE
from cpython.exc cimport PyErr_SetFromErrno
from libc.errno cimport EAGAIN, EINTR, errno
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from libc.string cimport memset

cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_IS_ASCII(object o)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)

cdef extern from "<errno.h>":
    int EWOULDBLOCK  # libc.errno leaves it out: EAGAIN's twin, the same number on Linux

cdef extern from *:
    """
    #include <sys/socket.h>
    #ifndef MSG_MORE
    #define MSG_MORE 0
    #endif
    """
    int MSG_MORE  # Linux's; elsewhere 0: the bytes go at once, the close's FIN after them

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
    ssize_t recv(int sockfd, void* buf, size_t len, int flags)
    ctypedef unsigned int socklen_t
    int setsockopt(int sockfd, int level, int optname, const void* optval, socklen_t optlen)
    struct linger:
        int l_onoff
        int l_linger
    int MSG_NOSIGNAL
    int SOL_SOCKET
    int SO_LINGER

__all__ = ["IOV_MAX", "ascii_view", "recv_into", "reset_on_close", "send_buffers", "send_last", "send_now", "send_parts"]

#: the most buffers ``send_buffers`` writes in one call (the rest at the next): POSIX guarantees 16
cdef enum:
    _IOV_MAX = 64
IOV_MAX = _IOV_MAX


cdef inline Py_ssize_t _send(int fd, bytes data, int flags) except -1:
    """One ``send(2)`` of ``data`` with ``flags`` (and ``MSG_NOSIGNAL``): the bytes written (0: none, or an error)."""
    if data is None:
        raise TypeError("data must be bytes, not NoneType")
    cdef ssize_t sent = send(fd, PyBytes_AS_STRING(data), <size_t>PyBytes_GET_SIZE(data), MSG_NOSIGNAL | flags)
    return sent if sent > 0 else 0


cpdef Py_ssize_t send_now(int fd, bytes data) except -1:
    """Write what the non-blocking socket ``fd`` takes of ``data`` now; the bytes written (0: none, or an error)."""
    return _send(fd, data, 0)


cpdef Py_ssize_t send_last(int fd, bytes data) except -1:
    """``send_now`` of the last bytes before the socket is closed: held by the kernel (``MSG_MORE``) until the
    close, so that its FIN leaves in the same segment."""
    return _send(fd, data, MSG_MORE)


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


cdef class _AsciiBytes:
    """The bytes of an ASCII ``str`` from an offset on, as a read-only buffer (it holds the ``str``)."""

    cdef object text
    cdef Py_ssize_t start

    def __getbuffer__(self, Py_buffer* buffer, int flags):
        if not PyUnicode_CheckExact(self.text):  # made without ascii_view: nothing to lend
            raise BufferError("no text")
        PyBuffer_FillInfo(
            buffer, self, <char*>PyUnicode_DATA(self.text) + self.start,
            PyUnicode_GET_LENGTH(self.text) - self.start, 1, flags,
        )

    def __releasebuffer__(self, Py_buffer* buffer):
        pass


def ascii_view(text, Py_ssize_t start=0):
    """The bytes of the ASCII ``text`` from ``start`` on, read-only (the compiled twin makes no copy)."""
    cdef _AsciiBytes view
    if not PyUnicode_CheckExact(text):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not PyUnicode_IS_ASCII(text):
        raise ValueError("a str payload must be ASCII")
    if not 0 <= start <= PyUnicode_GET_LENGTH(text):
        raise ValueError(f"start {start} is outside the text (0 to {PyUnicode_GET_LENGTH(text)})")
    view = _AsciiBytes.__new__(_AsciiBytes)
    view.text = text
    view.start = start
    return memoryview(view)


cpdef Py_ssize_t recv_into(int fd, object buffer) except -2:
    """Read what the non-blocking socket ``fd`` has into ``buffer``: the bytes read, 0 at the end of the
    stream, -1 when there is nothing to read now; ``OSError`` when the connection is broken."""
    cdef Py_buffer view
    cdef ssize_t got
    if PyByteArray_CheckExact(buffer):  # the transport's own: the thread's read buffer
        got = recv(fd, PyByteArray_AS_STRING(buffer), <size_t>PyByteArray_GET_SIZE(buffer), 0)
    else:
        PyObject_GetBuffer(buffer, &view, PyBUF_WRITABLE)
        got = recv(fd, view.buf, <size_t>view.len, 0)
        PyBuffer_Release(&view)
    if got >= 0:
        return got
    if errno == EAGAIN or errno == EWOULDBLOCK or errno == EINTR:
        return -1
    PyErr_SetFromErrno(OSError)
    return -2


def send_buffers(int fd, buffers):
    """Write what the non-blocking socket ``fd`` takes of ``buffers`` (at most ``IOV_MAX`` of them), in order,
    at once: the bytes written (0: none now); ``OSError`` when the connection is broken."""
    cdef Py_buffer views[_IOV_MAX]
    cdef iovec parts[_IOV_MAX]
    cdef msghdr message
    cdef Py_ssize_t count = 0, i
    cdef ssize_t sent = -1
    try:
        for buffer in buffers:
            if count == _IOV_MAX:
                break
            PyObject_GetBuffer(buffer, &views[count], PyBUF_SIMPLE)
            parts[count].iov_base = views[count].buf
            parts[count].iov_len = <size_t>views[count].len
            count += 1
        memset(&message, 0, sizeof(message))
        message.msg_iov = parts
        message.msg_iovlen = <size_t>count
        sent = sendmsg(fd, &message, MSG_NOSIGNAL)
    finally:
        for i in range(count):
            PyBuffer_Release(&views[i])
    if sent >= 0:
        return sent
    if errno == EAGAIN or errno == EWOULDBLOCK or errno == EINTR:
        return 0
    PyErr_SetFromErrno(OSError)


def reset_on_close(int fd):
    """Make the close of socket ``fd`` a reset (``SO_LINGER`` on, 0 s): the kernel drops the unsent bytes at once
    instead of retrying them for minutes to a peer that does not read; ``OSError`` if ``fd`` is not a socket."""
    cdef linger none
    none.l_onoff = 1
    none.l_linger = 0
    if setsockopt(fd, SOL_SOCKET, SO_LINGER, &none, sizeof(none)) != 0:
        PyErr_SetFromErrno(OSError)
